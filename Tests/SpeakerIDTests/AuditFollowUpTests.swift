import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The audit of issue 12's fixes (findings P1-P14), each through the real CLI. Every test here
/// failed on the code before its fix.
struct AuditFollowUpTests {
    typealias CLI = CommandLineTests

    static func frames(_ stdout: String) -> Int? {
        stdout.split(separator: "\t").first { $0.hasSuffix(" frames") }.flatMap { Int($0.dropLast(7)) }
    }

    // P1. The component warning is true: it appears only below 25 frames per component, and
    // advises the automatic order only when that is smaller.
    @Test func componentWarningOnlyWhenTrue() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try CLI.syntheticCorpus(dir)
        let clip = dir.file("corpus/low/0.wav")
        let eight = try CLI.run(["enroll", "--models", dir.file("m8"), "--components", "8", "--speaker", "a", clip])
        #expect(eight.status == 0, "\(eight.stderr)")
        let f = try #require(Self.frames(eight.stdout), "\(eight.stdout)")
        try #require(f >= 8 * 25, "the clip has \(f) frames")
        #expect(!eight.stderr.contains("per component"), "\(f) frames for 8 components: \(eight.stderr)")
        let k = 64
        try #require(f < k * 25 && f >= 2 * k)
        let many = try CLI.run(["enroll", "--models", dir.file("m64"), "--components", "\(k)", "--speaker", "a", clip])
        #expect(many.status == 0, "\(many.stderr)")
        let auto = Enrollment.automaticComponents(frames: f)
        #expect(many.stderr.contains("\(f / k) per component, fewer than 25") && many.stderr.contains("--components auto (\(auto) for this speaker)")
                && auto < k, "\(many.stderr)")
        // Four components and too few frames even for them: auto would not lower the order.
        let short = dir.file("short.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 1.2, sampleRate: 16000, seed: 4, pitch: 150), sampleRate: 16000, to: short)
        let four = try CLI.run(["enroll", "--models", dir.file("m4"), "--components", "4", "--min-speech", "0", "--speaker", "a", short])
        let g = try #require(Self.frames(four.stdout), "\(four.status) \(four.stderr)")
        try #require(g < 4 * 25, "\(g) frames")
        #expect(four.stderr.contains("add audio") && !four.stderr.contains("--components auto"), "\(four.stderr)")
    }

    // P12. A speaker with almost no speech is refused, by a documented, settable minimum.
    @Test func enrolmentFromTooLittleSpeechIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clip = dir.file("c50ms.wav")
        try AudioWriter.write(Array(SyntheticSpeech.generate(seconds: 1, sampleRate: 16000, seed: 9, pitch: 150).prefix(800)), sampleRate: 16000, to: clip)
        try FileManager.default.createDirectory(atPath: dir.file("models"), withIntermediateDirectories: true)
        let r = try CLI.run(["enroll", "--models", dir.file("models"), "--speaker", "x", "--components", "4", clip])
        #expect(r.status == 1 && r.stderr.contains("speaker \"x\" has only 0.0") && r.stderr.contains("s of speech")
                && r.stderr.contains("--min-speech"), "\(r.status) \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("models")).isEmpty)
        let zero = try CLI.run(["enroll", "--models", dir.file("models"), "--speaker", "x", "--components", "1", "--min-speech", "0", "-q", clip])
        #expect(zero.status == 0 && !zero.stderr.contains("less than"), "\(zero.status) \(zero.stderr)")
        let neg = try CLI.run(["enroll", "--models", dir.file("models"), "--speaker", "x", "--min-speech", "-1", clip])
        #expect(neg.status == 64 && neg.stderr.contains("--min-speech must be 0-3600"), "\(neg.stderr)")
        let help = try CLI.run(["enroll", "--help"])
        #expect(help.stdout.contains("--min-speech") && help.stdout.contains("(default: 1.0)"), "\(help.stdout)")
    }

    // A batch reports every item: with --skip-bad, a corpus speaker with too little speech or
    // no usable audio is one line (and one `skipped_speakers` entry), the rest are enrolled;
    // without it, the enrolment stops and names the speaker, writing nothing.
    @Test func corpusSpeakersWithTooLittleSpeechAreSkippedAndReported() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try CLI.syntheticCorpus(dir)
        try FileManager.default.createDirectory(atPath: dir.file("corpus/tiny"), withIntermediateDirectories: true)
        try AudioWriter.write(Array(SyntheticSpeech.generate(seconds: 1, sampleRate: 16000, seed: 9, pitch: 150).prefix(800)),
                              sampleRate: 16000, to: dir.file("corpus/tiny/0.wav"))
        try FileManager.default.createDirectory(atPath: dir.file("corpus/broken"), withIntermediateDirectories: true)
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: dir.file("corpus/broken/0.wav")))
        let corpus = ["--corpus", dir.file("corpus"), "--split", "all", "--components", "4"]
        let strict = try CLI.run(["enroll", "--models", dir.file("strict")] + corpus + ["-q"])
        #expect(strict.status == 1 && !FileManager.default.fileExists(atPath: dir.file("strict")), "\(strict.status) \(strict.stderr)")
        let r = try CLI.run(["enroll", "--models", dir.file("models"), "--skip-bad", "--json"] + corpus)
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        let enrolled = ((obj["models"] as? [[String: Any]]) ?? []).compactMap { $0["speaker"] as? String }.sorted()
        #expect(enrolled == ["high", "low", "mid"], "\(enrolled)")
        let skipped = (obj["skipped_speakers"] as? [[String: Any]]) ?? []
        #expect(skipped.compactMap { $0["speaker"] as? String }.sorted() == ["broken", "tiny"], "\(skipped)")
        let tinyEntry: [String: Any]? = skipped.first { ($0["speaker"] as? String) == "tiny" }
        let tiny: String = (tinyEntry?["error"] as? String) ?? ""
        #expect(tiny.contains("s of speech") && tiny.contains("--min-speech"), "\(tiny)")
        let lines = r.stderr.split(separator: "\n").filter { $0.contains("skipped: speaker") }
        #expect(lines.count == 2, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("models")).sorted() == ["high.gmm", "low.gmm", "mid.gmm"])
        // Without --skip-bad, the speaker with too little speech stops the enrolment, named.
        try FileManager.default.removeItem(atPath: dir.file("corpus/broken"))
        let named = try CLI.run(["enroll", "--models", dir.file("named")] + corpus + ["-q"])
        #expect(named.status == 1 && named.stderr.contains("\"tiny\"") && named.stderr.contains("--min-speech")
                && !FileManager.default.fileExists(atPath: dir.file("named")), "\(named.status) \(named.stderr)")
        // Nobody left: an error, not an empty success.
        let none = try CLI.run(["enroll", "--models", dir.file("none"), "--skip-bad", "--min-speech", "3600"] + corpus + ["-q"])
        #expect(none.status == 1 && none.stderr.contains("no speaker could be enrolled (4 skipped)"), "\(none.status) \(none.stderr)")
    }

    /// A speaker skipped under --skip-bad keeps the model already in the folder, which was
    /// taken as replaced when the folder was first checked: re-enrolling with another UBM is
    /// refused before anything is written, instead of leaving models of two UBMs side by side.
    @Test func aSkippedSpeakersOldModelIsStillCheckedAgainstTheNewOnes() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try CLI.syntheticCorpus(dir)
        let corpus = ["--corpus", dir.file("corpus"), "--split", "all"]
        for (name, seed) in [("a.gmm", "1"), ("b.gmm", "2")] {
            let u = try CLI.run(["train-ubm", "--out", dir.file(name), "--components", "4", "--seed", seed, "-q"] + corpus)
            try #require(u.status == 0, "\(u.stderr)")
        }
        let models = dir.file("models")
        let first = try CLI.run(["enroll", "--models", models, "--ubm", dir.file("a.gmm"), "-q"] + corpus)
        try #require(first.status == 0, "\(first.stderr)")
        let before = try FileManager.default.contentsOfDirectory(atPath: models).sorted()
        let bytes = try before.map { try Data(contentsOf: URL(fileURLWithPath: models + "/" + $0)) }
        // "low" now has no usable audio, so it is skipped and its UBM-a model stays.
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.file("corpus/low")) {
            try Data("not audio".utf8).write(to: URL(fileURLWithPath: dir.file("corpus/low/" + f)))
        }
        let again = try CLI.run(["enroll", "--models", models, "--ubm", dir.file("b.gmm"), "--skip-bad", "-q"] + corpus)
        #expect(again.status != 0 && again.stderr.contains("low"), "\(again.status) \(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: models).sorted() == before)
        #expect(try before.map { try Data(contentsOf: URL(fileURLWithPath: models + "/" + $0)) } == bytes, "a model was rewritten")
    }

    // P3, P13, P14b. Outputs are checked before the work, in the user's terms (never
    // NSCocoaErrorDomain); an output file's missing folder is refused, not created; a folder
    // output is still made; a failed enrolment leaves no empty models folder.
    @Test func outputsInTheUsersTermsAndNoFolderTreeCreatedSilently() throws {
        let f = try NewUserTests.Fixture()
        defer { f.dir.cleanup() }
        let file = f.dir.file("existing.html")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let under = try CLI.run(["enroll", "--models", file + "/m", "--speaker", "x", "--components", "4", f.clip("low", 0)])
        #expect(under.status == 1 && under.stderr.contains("existing.html is a file, not a folder") && !under.stderr.contains("NSCocoaErrorDomain")
                && !under.stderr.contains("model"), "\(under.stderr)")
        let eval = ["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all"]
        let sub = try CLI.run(eval + ["--report", file + "/sub"])
        #expect(sub.status == 1 && sub.stderr.contains("cannot write the report") && sub.stderr.contains("existing.html is a file, not a folder")
                && sub.stdout.isEmpty, "\(sub.stderr)")
        if FileManager.default.fileExists(atPath: "/proc/self") {
            let proc = try CLI.run(eval + ["--report", "/proc/x"])
            #expect(proc.status == 1 && proc.stdout.isEmpty && proc.stderr.contains("cannot write the report")
                    && !proc.stderr.contains("model") && !proc.stderr.contains("NSCocoaErrorDomain"), "\(proc.stderr)")
        }
        let missing = f.dir.file("nonexistent/dir")
        let scores = try CLI.run(eval + ["--scores", missing + "/s.tsv"])
        #expect(scores.status == 1 && scores.stdout.isEmpty && scores.stderr.contains("cannot write the scores file")
                && scores.stderr.contains("does not exist"), "\(scores.stderr)")
        let ubm = try CLI.run(["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", missing + "/u.gmm", "-q"])
        #expect(ubm.status == 1 && ubm.stderr.contains("does not exist"), "\(ubm.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("nonexistent")), "a folder tree was created")
        // Folder outputs are still made, parents and all.
        let rep = try CLI.run(eval + ["--report", f.dir.file("reports/today"), "-q"])
        #expect(rep.status == 0 && FileManager.default.fileExists(atPath: f.dir.file("reports/today/report.html")), "\(rep.stderr)")
        let made = try CLI.run(["enroll", "--models", f.dir.file("new/models"), "--speaker", "x", "--components", "4", "-q", f.clip("low", 0)])
        #expect(made.status == 0 && FileManager.default.fileExists(atPath: f.dir.file("new/models/x.gmm")), "\(made.stderr)")
        // A failed corpus enrolment leaves no models folder.
        try FileManager.default.createDirectory(atPath: f.dir.file("silent/a"), withIntermediateDirectories: true)
        try AudioWriter.write([Float](repeating: 0, count: 16000), sampleRate: 16000, to: f.dir.file("silent/a/0.wav"))
        let failed = try CLI.run(["enroll", "--models", f.dir.file("fresh"), "--corpus", f.dir.file("silent"), "--split", "all"])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("fresh")), "\(failed.stderr)")
    }

    // P9, P10. A negative number reaches the range check on every numeric option (never
    // "Missing value"), and every out-of-range value is a usage error, exit 64, before any work.
    @Test func everyRangeErrorIsAUsageErrorAndNegativesAreValues() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try CLI.syntheticCorpus(dir)
        let clip = dir.file("corpus/low/0.wav"), m = dir.file("m")
        let cases: [([String], String)] = [
            (["features", "--low-freq", "-5", clip], "band -5.0"),
            (["features", "--vad-threshold", "-3", clip], "VAD threshold"),
            (["features", "--frame-length", "-20", clip], "frame length -20"),
            (["features", "--threads", "-2", clip], "--threads must be 1-1024"),
            (["features", "--sample-rate", "0", clip], "sample rate 0"),
            (["enroll", "--models", m, "--speaker", "x", "--components", "-4", clip], "components must be"),
            (["enroll", "--models", m, "--speaker", "x", "--components", "1000000000", clip], "components must be"),
            (["enroll", "--models", m, "--speaker", "x", "--seed", "-1", clip], "'-1'"),
            (["enroll", "--models", m, "--speaker", "x", "--min-speech", "-1", clip], "--min-speech must be"),
            (["train-ubm", "--corpus", dir.file("corpus") + ":all", "--components", "1000000000", "--out", dir.file("u.gmm")], "components must be"),
            (["train-ubm", "--corpus", dir.file("corpus") + ":all", "--components", "-3", "--out", dir.file("u.gmm")], "components must be"),
            (["identify", "--models", m, "--min-speech", "-1", clip], "--min-speech must be"),
            (["identify", "--models", m, "--top", "-1", clip], "--top must be"),
            (["evaluate-tracking", "--collar", "-1", "--reference", clip, "--hypothesis", clip], "--collar must be"),
        ]
        for (args, says) in cases {
            let r = try CLI.run(args)
            #expect(r.status == 64 && r.stderr.contains(says) && !r.stderr.contains("Missing value"), "\(args): \(r.status) \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args): work was done: \(r.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: m) && !FileManager.default.fileExists(atPath: dir.file("u.gmm")))
    }

    // P11. The unclear messages, each now saying what is wrong in the user's terms.
    @Test func unclearMessagesSayWhatIsWrong() throws {
        let f = try NewUserTests.Fixture()
        defer { f.dir.cleanup() }
        let clip = f.clip("low", 0)
        // A folder where a model file is expected.
        let folderUBM = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.dir.file("corpus"), clip])
        #expect(folderUBM.status == 1 && folderUBM.stderr.contains("is a folder") && !folderUBM.stderr.contains("unreadable"), "\(folderUBM.stderr)")
        try FileManager.default.createDirectory(atPath: f.adapted + "/odd.gmm", withIntermediateDirectories: true)
        let folderModel = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, clip])
        #expect(folderModel.status == 1 && folderModel.stderr.contains("odd.gmm") && folderModel.stderr.contains("is a folder"), "\(folderModel.stderr)")
        try FileManager.default.removeItem(atPath: f.adapted + "/odd.gmm")
        // A models folder that does not exist.
        let none = try CLI.run(["identify", "--models", f.dir.file("nosuchdir"), clip])
        #expect(none.status == 1 && none.stderr.contains("no such models folder") && !none.stderr.contains("enrol speakers first"), "\(none.stderr)")
        // A trial list that does not exist, or is a folder.
        let eval = ["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all"]
        let noTrials = try CLI.run(eval + ["--trials", f.dir.file("nosuch.txt")])
        #expect(noTrials.status == 1 && noTrials.stderr.contains("no such file") && !noTrials.stderr.contains("(cannot be read)"), "\(noTrials.stderr)")
        let dirTrials = try CLI.run(eval + ["--trials", f.dir.file("corpus")])
        #expect(dirTrials.status == 1 && dirTrials.stderr.contains("is a folder") && !dirTrials.stderr.contains("(cannot be read)"), "\(dirTrials.stderr)")
        // A WAV whose header gives sample rate 0.
        var wav = try Data(contentsOf: URL(fileURLWithPath: clip))
        wav.replaceSubrange(24..<28, with: Data([0, 0, 0, 0]))
        try wav.write(to: URL(fileURLWithPath: f.dir.file("rate0.wav")))
        let rate0 = try CLI.run(["features", "--summary", f.dir.file("rate0.wav")])
        #expect(rate0.status == 1 && rate0.stderr.contains("rate0.wav") && rate0.stderr.contains("no sample rate")
                && !rate0.stderr.contains("SF_INFO"), "\(rate0.stderr)")
        // A protocol with only its header.
        try FileManager.default.createDirectory(atPath: f.dir.file("hdr"), withIntermediateDirectories: true)
        try Data("speaker\tpath\tsplit\n".utf8).write(to: URL(fileURLWithPath: f.dir.file("hdr/protocol.tsv")))
        let hdr = try CLI.run(["enroll", "--models", f.dir.file("hm"), "--corpus", f.dir.file("hdr")])
        #expect(hdr.status == 1 && hdr.stderr.contains("the protocol lists no files") && !hdr.stderr.contains("no audio files found"), "\(hdr.stderr)")
        // Front-end differences in the names the JSON and the README use.
        let rate = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--sample-rate", "8000", clip])
        #expect(rate.status != 0 && rate.stderr.contains("framing.sample_rate") && !rate.stderr.contains("sampleRate"), "\(rate.stderr)")
    }
}
