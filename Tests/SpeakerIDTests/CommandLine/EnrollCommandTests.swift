import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// `speakerid enroll`: the warnings it gives, the enrolments it refuses or skips, and a models
/// folder whose models can always be scored together.
struct EnrollCommandTests {
    static func frames(_ stdout: String) -> Int? {
        stdout.split(separator: "\t").first { $0.hasSuffix(" frames") }.flatMap { Int($0.dropLast(7)) }
    }

    // A model the folder's other models cannot be scored with is refused; so are options
    // that would do nothing; the same file twice counts once.
    @Test func mismatchedModelsDoNotPoisonAFolder() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let before = try FileManager.default.contentsOfDirectory(atPath: f.adapted).sorted()
        let em = try CLI.run(["enroll", "--models", f.adapted, "--speaker", "eve", f.clip("mid", 0)])
        #expect(em.status == 1 && em.stderr.contains("trained by EM could not be scored beside it"), "\(em.stderr)")
        let fe = try CLI.run([
            "enroll", "--models", f.dir.file("plain"), "--corpus", f.dir.file("corpus"), "--split", "all", "--components", "4", "-q",
        ])
        #expect(fe.status == 0)
        let other = try CLI.run(["enroll", "--models", f.dir.file("plain"), "--speaker", "eve", "--filters", "30", f.clip("mid", 0)])
        #expect(other.status == 1 && other.stderr.contains("another front end"), "\(other.stderr)")
        // Another UBM.
        let ubm2 = f.dir.file("ubm2.gmm")
        #expect(try CLI.run(["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "8", "--out", ubm2, "-q"]).status == 0)
        let wrongUBM = try CLI.run(["enroll", "--models", f.adapted, "--ubm", ubm2, "--speaker", "eve", f.clip("mid", 0)])
        #expect(wrongUBM.status == 1 && wrongUBM.stderr.contains("adapted from another UBM"), "\(wrongUBM.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.adapted).sorted() == before)
        // Re-enrolling the folder's only speaker with other settings is fine: it is replaced.
        let solo = f.dir.file("solo")
        #expect(try CLI.run(["enroll", "--models", solo, "--speaker", "x", "--components", "4", f.clip("low", 0), "-q"]).status == 0)
        #expect(try CLI.run(["enroll", "--models", solo, "--speaker", "x", "--ubm", f.ubm, f.clip("low", 0), "-q"]).status == 0)
        // Options that do nothing in the chosen mode.
        let k = try CLI.run(["enroll", "--models", f.adapted, "--ubm", f.ubm, "--components", "8", "--speaker", "eve", f.clip("mid", 0)])
        #expect(k.status == 64 && k.stderr.contains("--components only apply to training by EM"), "\(k.stderr)")
        let r = try CLI.run(["enroll", "--models", f.dir.file("plain"), "--relevance", "8", "--speaker", "eve", f.clip("mid", 0)])
        #expect(r.status == 64 && r.stderr.contains("--relevance only apply to MAP adaptation"), "\(r.stderr)")
        // The same file twice, or a folder and a file in it: counted once, with a note.
        let twice = try CLI.run([
            "enroll", "--models", f.dir.file("twice"), "--speaker", "low", "--components", "4", "--json",
            f.dir.file("corpus/low"), f.clip("low", 0), f.clip("low", 0),
        ])
        #expect(twice.status == 0, "\(twice.stderr)")
        let m = try #require(CLI.jsonLines(twice.stdout).first?["models"] as? [[String: Any]])
        let info = try CLI.run(["info", "--json", f.dir.file("twice/low.gmm")])
        let training = CLI.jsonLines(info.stdout).first?["training"] as? [String: Any]
        #expect(training?["files"] as? Int == 3 && m.count == 1, "\(info.stdout)")
        let said = CLI.jsonLines(twice.stdout).first?["warnings"] as? [String] ?? []
        #expect(said.contains { $0.contains("0.wav") && $0.contains("counted once") }, "\(said)")
        let text = try CLI.run([
            "enroll", "--models", f.dir.file("twice"), "--speaker", "low", "--components", "4", f.clip("low", 0), f.clip("low", 0),
        ])
        #expect(text.stderr.contains("0.wav is listed twice"), "\(text.stderr)")
    }

    // The automatic order is not second-guessed by a warning that contradicts it.
    @Test func noWarningAgainstTheAutomaticOrder() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
        let auto = try CLI.run(["enroll", "--models", dir.file("m"), "--speaker", "low", dir.file("corpus/low/0.wav")])
        #expect(auto.status == 0 && !auto.stderr.contains("consider --components"), "\(auto.stderr)")
        // A fixed order too large for the speech still is warned about, pointing at auto.
        let fixed = try CLI.run(["enroll", "--models", dir.file("m"), "--speaker", "low", "--components", "64", dir.file("corpus/low/0.wav")])
        #expect(fixed.status == 0 && fixed.stderr.contains("consider --components auto"), "\(fixed.stderr)")
    }

    // The component warning is true: it appears only below 25 frames per component, and
    // advises the automatic order only when that is smaller.
    @Test func componentWarningOnlyWhenTrue() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
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
        #expect(
            many.stderr.contains("\(f / k) per component, fewer than 25") && many.stderr.contains("--components auto (\(auto) for this speaker)")
                && auto < k, "\(many.stderr)")
        // Four components and too few frames even for them: auto would not lower the order.
        let short = dir.file("short.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 1.2, sampleRate: 16000, seed: 4, pitch: 150), sampleRate: 16000, to: short)
        let four = try CLI.run(["enroll", "--models", dir.file("m4"), "--components", "4", "--min-speech", "0", "--speaker", "a", short])
        let g = try #require(Self.frames(four.stdout), "\(four.status) \(four.stderr)")
        try #require(g < 4 * 25, "\(g) frames")
        #expect(four.stderr.contains("add audio") && !four.stderr.contains("--components auto"), "\(four.stderr)")
    }

    // A speaker with almost no speech is refused, by a documented, settable minimum.
    @Test func enrolmentFromTooLittleSpeechIsRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clip = dir.file("c50ms.wav")
        try AudioWriter.write(
            Array(SyntheticSpeech.generate(seconds: 1, sampleRate: 16000, seed: 9, pitch: 150).prefix(800)), sampleRate: 16000, to: clip)
        try FileManager.default.createDirectory(atPath: dir.file("models"), withIntermediateDirectories: true)
        let r = try CLI.run(["enroll", "--models", dir.file("models"), "--speaker", "x", "--components", "4", clip])
        #expect(
            r.status == 1 && r.stderr.contains("speaker \"x\" has only 0.0") && r.stderr.contains("s of speech")
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
        try Fixtures.syntheticCorpus(dir)
        try FileManager.default.createDirectory(atPath: dir.file("corpus/tiny"), withIntermediateDirectories: true)
        try AudioWriter.write(
            Array(SyntheticSpeech.generate(seconds: 1, sampleRate: 16000, seed: 9, pitch: 150).prefix(800)),
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
        #expect(
            named.status == 1 && named.stderr.contains("\"tiny\"") && named.stderr.contains("--min-speech")
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
        try Fixtures.syntheticCorpus(dir)
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
}
