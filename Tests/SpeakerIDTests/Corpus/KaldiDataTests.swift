import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Kaldi data folders as corpora and Kaldi/NIST trial lists (issue #14).
struct KaldiDataTests {

    /// A data folder of three speakers: each speaker's two recordings, the second cut into two
    /// utterances by `segments`.
    static func dataFolder(_ dir: TempDir, name: String, segments: Bool) throws -> String {
        let root = dir.file(name)
        try FileManager.default.createDirectory(atPath: root + "/wav", withIntermediateDirectories: true)
        var scp = "", u2s = "", seg = ""
        for (i, (spk, pitch)) in [("low", 90.0), ("mid", 160.0), ("high", 260.0)].enumerated() {
            for r in 0..<2 {
                let reco = "\(spk)-\(name)-r\(r)"
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 6, sampleRate: 16000, seed: UInt64(i * 10 + r) &+ (name == "test" ? 500 : 0), pitch: pitch),
                    sampleRate: 16000, to: "\(root)/wav/\(reco).wav")
                scp += "\(reco) wav/\(reco).wav\n"
                if segments && r == 1 {
                    seg += "\(reco)-a \(reco) 0.00 3.00\n\(reco)-b \(reco) 3.00 6.00\n"
                    u2s += "\(reco)-a \(spk)\n\(reco)-b \(spk)\n"
                } else {
                    if segments { seg += "\(reco) \(reco) 0 6\n" }
                    u2s += "\(reco) \(spk)\n"
                }
            }
        }
        try Data(scp.utf8).write(to: URL(fileURLWithPath: root + "/wav.scp"))
        try Data(u2s.utf8).write(to: URL(fileURLWithPath: root + "/utt2spk"))
        if segments { try Data(seg.utf8).write(to: URL(fileURLWithPath: root + "/segments")) }
        return root
    }

    @Test func aDataFolderIsACorpus() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let root = try Self.dataFolder(dir, name: "enroll", segments: true)
        let c = try Corpus(root: root)
        #expect(c.entries.count == 9 && Corpus.speakers(c.entries) == ["low", "mid", "high"])
        #expect(try c.entries(split: "whatever").count == 9, "the folder is the split")
        let seg = try #require(c.entries.first { $0.utterance == "mid-enroll-r1-b" })
        #expect(seg.range == CorpusEntry.TimeRange(start: 3, end: 6) && seg.path.hasSuffix("wav/mid-enroll-r1.wav"))
        // A segment decodes to exactly its span.
        let fe = try FrontEnd()
        let f = try fe.features(of: seg.source)
        #expect(abs(f.duration - 3) < 0.01 && f.name.hasPrefix("mid-enroll-r1-b"), "\(f.duration) \(f.name)")
        // The pipe form of wav.scp is refused, naming the line.
        try Data("x sox a.wav -t wav - |\n".utf8).write(to: URL(fileURLWithPath: root + "/wav.scp"))
        #expect(throws: CorpusError.self) { try Corpus(root: root) }
        do { _ = try Corpus(root: root) } catch { #expect("\(error)".contains("wav.scp:1") && "\(error)".contains("is a command"), "\(error)") }
    }

    @Test func enrolEvaluateAndTrialListsThroughTheCLI() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let enroll = try Self.dataFolder(dir, name: "enroll", segments: true)
        let test = try Self.dataFolder(dir, name: "test", segments: false)
        let ubm = dir.file("ubm.gmm"), models = dir.file("models")
        #expect(try CLI.run(["train-ubm", "--corpus", enroll, "--split", "all", "--components", "16", "--out", ubm, "-q"]).status == 0)
        let e = try CLI.run(["enroll", "--models", models, "--corpus", enroll, "--ubm", ubm, "-q"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(try ModelStore(directory: models).load(SpeakerName("low")).training.files == 3)
        // A trial list: two targets and three non-targets.
        let list = dir.file("trials")
        try Data(
            "low low-test-r0 target\nmid low-test-r0 nontarget\nhigh mid-test-r1 nontarget\nmid mid-test-r1 target\nlow high-test-r0 nontarget\n".utf8
        )
        .write(to: URL(fileURLWithPath: list))
        let scores = dir.file("s.tsv")
        let r = try CLI.run(["evaluate", "--models", models, "--ubm", ubm, "--corpus", test, "--trials", list, "--scores", scores, "--json"])
        let j = try #require(CLI.jsonLines(r.stdout).first, "\(r.stderr)")
        #expect((j["verification_trials"] as? [String: Int]) == ["target": 2, "non_target": 3], "\(j)")
        #expect(j["trials"] as? Int == 6, "identification still uses every test file")
        let rows = try String(contentsOfFile: scores, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
        #expect(rows.count == 5, "the score file holds the listed trials")
        // Bad lists: an unknown model, a contradicting label; one line naming the list's line.
        for (text, what) in [
            ("nobody low-test-r0 target\n", "trials:1: model nobody is not enrolled"),
            ("low mid-test-r0 target\n", "trials:1: says target, but mid-test-r0 is spoken by mid"),
            ("low low-test-r0 maybe\n", "trials:1: expected: model utterance target|nontarget"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: list))
            let bad = try CLI.run(["evaluate", "--models", models, "--ubm", ubm, "--corpus", test, "--trials", list])
            #expect(bad.status == 1 && bad.stderr.contains(what) && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        }
    }

    /// The error a corpus folder gives, as one line.
    static func corpusError(_ root: String) -> String {
        do {
            _ = try Corpus(root: root)
            return ""
        } catch { return "\(error)" }
    }

    /// Issue #23, item 6: nothing in wav.scp is dropped without a word; an utterance without a
    /// speaker is refused with its line, as Kaldi's utils/validate_data_dir.sh refuses it.
    @Test func anUtteranceWithoutASpeakerIsRefusedWithItsLine() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let root = try Self.dataFolder(dir, name: "enroll", segments: false)
        var scp = try String(contentsOfFile: root + "/wav.scp", encoding: .utf8)
        scp += "stray wav/low-enroll-r0.wav\r\n"
        try Data(scp.utf8).write(to: URL(fileURLWithPath: root + "/wav.scp"))
        let e = Self.corpusError(root)
        #expect(e.contains("wav.scp:7") && e.contains("stray") && e.contains("utt2spk") && !e.contains("\n"), "\(e)")
        // With segments: a recording no segment cuts, and a segment whose utterance has no speaker.
        let seg = try Self.dataFolder(dir, name: "test", segments: true)
        try Data((try String(contentsOfFile: seg + "/wav.scp", encoding: .utf8) + "lonely wav/low-test-r0.wav\n").utf8)
            .write(to: URL(fileURLWithPath: seg + "/wav.scp"))
        let f = Self.corpusError(seg)
        #expect(f.contains("wav.scp:7") && f.contains("lonely") && f.contains("segments"), "\(f)")
        let good = try String(contentsOfFile: seg + "/wav.scp", encoding: .utf8).split(separator: "\n").dropLast().joined(separator: "\n") + "\n"
        try Data(good.utf8).write(to: URL(fileURLWithPath: seg + "/wav.scp"))
        #expect(try Corpus(root: seg).entries.count == 9)
        try Data((try String(contentsOfFile: seg + "/segments", encoding: .utf8) + "orphan low-test-r0 1 2\n").utf8)
            .write(to: URL(fileURLWithPath: seg + "/segments"))
        let g = Self.corpusError(seg)
        #expect(g.contains("segments:10") && g.contains("orphan") && g.contains("utt2spk"), "\(g)")
    }

    /// Issue #23, item 6: a segment ending up to 0.5 s past its recording is cut at the end
    /// (Kaldi's extract-segments --max-overshoot 0.5); further is refused naming the segments
    /// line and the recording's real duration, not called a damaged audio file.
    @Test func aSegmentPastItsRecordingIsTrimmedOrNamed() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let root = try Self.dataFolder(dir, name: "enroll", segments: true)
        let original = try String(contentsOfFile: root + "/segments", encoding: .utf8)
        // mid-enroll-r1-b is 3.00-6.00 of a 6-s recording.
        try Data(original.replacingOccurrences(of: "mid-enroll-r1-b mid-enroll-r1 3.00 6.00", with: "mid-enroll-r1-b mid-enroll-r1 3.00 6.14").utf8)
            .write(to: URL(fileURLWithPath: root + "/segments"))
        let c = try Corpus(root: root)
        let seg = try #require(c.entries.first { $0.utterance == "mid-enroll-r1-b" })
        #expect(seg.range == CorpusEntry.TimeRange(start: 3, end: 6), "\(String(describing: seg.range))")
        let f = try FrontEnd().features(of: seg.source)
        #expect(abs(f.duration - 3) < 0.01)
        let lines = original.split(separator: "\n")
        let n = try #require(lines.firstIndex { $0.hasPrefix("mid-enroll-r1-b ") }) + 1
        for (end, starts) in [("6.70", false), ("6.20 ", true)] {
            let text =
                starts
                ? original.replacingOccurrences(of: "mid-enroll-r1-b mid-enroll-r1 3.00 6.00", with: "mid-enroll-r1-b mid-enroll-r1 6.10 6.20")
                : original.replacingOccurrences(of: "mid-enroll-r1-b mid-enroll-r1 3.00 6.00", with: "mid-enroll-r1-b mid-enroll-r1 3.00 \(end)")
            try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/segments"))
            let e = Self.corpusError(root)
            #expect(e.contains("segments:\(n)") && e.contains("mid-enroll-r1-b") && e.contains("6 s long") && e.contains("0.5 s"), "\(e)")
        }
    }

    /// Issue #23, item 6: spk2utt without utt2spk is read as utils/spk2utt_to_utt2spk.pl would
    /// turn it into utt2spk; wav.scp with neither says that utt2spk is missing.
    @Test func spk2uttStandsInForUtt2spk() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let root = try Self.dataFolder(dir, name: "enroll", segments: false)
        let u2s = try String(contentsOfFile: root + "/utt2spk", encoding: .utf8)
        var bySpeaker: [(String, [String])] = []
        for line in u2s.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            if let i = bySpeaker.firstIndex(where: { $0.0 == f[1] }) { bySpeaker[i].1.append(f[0]) } else { bySpeaker.append((f[1], [f[0]])) }
        }
        try Data(bySpeaker.map { "\($0.0) \($0.1.joined(separator: " "))\r\n" }.joined().utf8).write(to: URL(fileURLWithPath: root + "/spk2utt"))
        let withBoth = try Corpus(root: root).entries
        try FileManager.default.removeItem(atPath: root + "/utt2spk")
        let derived = try Corpus(root: root).entries
        #expect(
            derived.count == 6
                && Set(derived.map { "\($0.utterance ?? "") \($0.speaker)" }) == Set(withBoth.map { "\($0.utterance ?? "") \($0.speaker)" }))
        // An utterance under two speakers is named with its line.
        try Data("low low-enroll-r0 low-enroll-r1\nmid mid-enroll-r0 low-enroll-r0\n".utf8).write(to: URL(fileURLWithPath: root + "/spk2utt"))
        let twice = Self.corpusError(root)
        #expect(twice.contains("spk2utt:2") && twice.contains("low-enroll-r0"), "\(twice)")
        // Neither: the folder is a Kaldi folder without speakers, not "no audio files found" (nor
        // its wav/ sub-folder a speaker).
        try FileManager.default.removeItem(atPath: root + "/spk2utt")
        let none = Self.corpusError(root)
        #expect(none.contains("utt2spk") && none.contains("spk2utt_to_utt2spk.pl") && !none.contains("no audio files found"), "\(none)")
    }
}
