import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Issue #23, items 7 and 9: the text files and options of `evaluate --trials`, `--shard`,
/// `evaluate-tracking` and `track --json` as a demanding user gives them: every number range
/// checked with its file and line, nothing pooled or dropped without a word, JSON times as
/// rounded as the text's.
struct InputFilesTests {

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func speaker(_ file: String, _ start: Double, _ duration: Double, _ name: String) -> String {
        RTTM.line(file: file, start: start, duration: duration, label: name) + "\n"
    }

    // MARK: - RTTM

    /// NIST RTTM has 10 fields; an eleventh (a file id or name with a space) shifted the times
    /// (877 s of reference from a 108-s file): refused with its line. Times are finite, from 0
    /// to a week; a byte-order mark and CRLF are read; a line type RTTM lacks is named.
    @Test func rttmLinesAreCheckedFieldByField() throws {
        func refusal(_ text: String) -> String {
            do {
                _ = try RTTM.parse(text, name: "r.rttm")
                return ""
            } catch { return "\(error)" }
        }
        let good = "SPEAKER rec 1 1.5 2.0 <NA> <NA> alice <NA> <NA>\r\n"
        let shifted = "SPEAKER my rec 1 12.5 3.0 <NA> <NA> alice <NA> <NA>\n"
        let e = refusal(good + shifted)
        #expect(e.hasPrefix("r.rttm:2:") && e.contains("11") && e.contains("10 fields"), "\(e)")
        for (line, what) in [
            ("SPEAKER rec 1 0 1e300 <NA> <NA> alice <NA> <NA>", "duration"),
            ("SPEAKER rec 1 1e300 1 <NA> <NA> alice <NA> <NA>", "start"),
            ("SPEAKER rec 1 604000 900 <NA> <NA> alice <NA> <NA>", "duration"),
            ("SPEAKER rec 1 nan 1 <NA> <NA> alice <NA> <NA>", "start"),
            ("SPEAKER rec 1 0 inf <NA> <NA> alice <NA> <NA>", "duration"),
            ("speaker rec 1 0 1 <NA> <NA> alice <NA> <NA>", "SPEAKER"),
            ("SPEAKR rec 1 0 1 <NA> <NA> alice <NA> <NA>", "not an RTTM line type"),
        ] {
            let r = refusal(good + line + "\n")
            #expect(r.hasPrefix("r.rttm:2:") && r.contains(what) && !r.contains("\n"), "\(line): \(r)")
        }
        let s = try RTTM.parse(
            "\u{FEFF}" + good + "SPKR-INFO rec 1 <NA> <NA> <NA> unknown alice <NA> <NA>\r\n;; comment\r\n"
                + "SPEAKER rec 1 4 1 <NA> <NA> bob\r\n", name: "r.rttm")
        #expect(
            s == [RTTMSegment(file: "rec", start: 1.5, duration: 2, label: "alice"), RTTMSegment(file: "rec", start: 4, duration: 1, label: "bob")])
    }

    /// evaluate-tracking: a duration of 1e300 is refused naming file:line (it gave a 300-digit
    /// DER); references without a hypothesis are counted in the headline and in JSON, and
    /// --only-with-hypothesis leaves them out; an empty hypothesis file is a recording without
    /// speech, not a missing hypothesis.
    @Test func evaluateTrackingSaysWhatItPools() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        for d in ["ref", "hyp"] { try FileManager.default.createDirectory(atPath: dir.file(d), withIntermediateDirectories: true) }
        try Self.write(Self.speaker("a", 0, 10, "alice") + Self.speaker("a", 10, 10, "bob"), to: dir.file("ref/a.rttm"))
        try Self.write(Self.speaker("a", 0, 10, "x") + Self.speaker("a", 10, 10, "y"), to: dir.file("hyp/a.rttm"))
        try Self.write(Self.speaker("b", 0, 5, "alice"), to: dir.file("ref/b.rttm"))
        let base = ["evaluate-tracking", "--reference", dir.file("ref"), "--hypothesis", dir.file("hyp"), "--collar", "0"]
        let t = try CLI.run(base)
        #expect(
            t.status == 0 && t.stdout.hasPrefix("2 recordings (1 without a hypothesis, scored as all missed)") && t.stdout.contains("DER 0.2000"),
            "\(t.stdout)")
        let j = try #require(CLI.jsonLines(try CLI.run(base + ["--json", "-q"]).stdout).first)
        #expect(
            j["references_without_hypothesis"] as? Int == 1 && j["recordings"] as? Int == 2 && j["only_with_hypothesis"] as? Bool == false, "\(j)")
        let only = try CLI.run(base + ["--only-with-hypothesis", "--json", "-q"])
        let o = try #require(CLI.jsonLines(only.stdout).first, "\(only.stderr)")
        #expect(
            o["references_without_hypothesis"] as? Int == 1 && o["recordings"] as? Int == 1
                && (o["der"] as? [String: Any])?["error_rate"] as? Double == 0, "\(o)")
        let onlyText = try CLI.run(base + ["--only-with-hypothesis"])
        #expect(
            onlyText.stdout.hasPrefix("1 recording (1 more without a hypothesis left out)") && onlyText.stderr.contains("--only-with-hypothesis"),
            "\(onlyText.stdout)\(onlyText.stderr)")
        // An empty hypothesis file (track --rttm writes one for a recording without speech) is b's hypothesis.
        try Self.write("", to: dir.file("hyp/b.rttm"))
        let empty = try #require(CLI.jsonLines(try CLI.run(base + ["--only-with-hypothesis", "--json", "-q"]).stdout).first)
        #expect(empty["references_without_hypothesis"] as? Int == 0 && empty["recordings"] as? Int == 2, "\(empty)")
        // No reference recording with a hypothesis at all, with --only-with-hypothesis: one line.
        try Self.write(Self.speaker("zz", 0, 5, "x"), to: dir.file("other.rttm"))
        let none = try CLI.run([
            "evaluate-tracking", "--reference", dir.file("ref"), "--hypothesis", dir.file("other.rttm"), "--only-with-hypothesis",
        ])
        #expect(
            none.status == 1 && none.stderr.contains("no reference recording has a hypothesis") && none.stderr.split(separator: "\n").count == 1,
            "\(none.stderr)")
        // A duration of 1e300, and an 11-field line: refused with the file and line.
        try Self.write(Self.speaker("a", 0, 10, "alice") + "SPEAKER a 1 10 1e300 <NA> <NA> bob <NA> <NA>\n", to: dir.file("ref/a.rttm"))
        let huge = try CLI.run(base)
        #expect(
            huge.status == 1 && huge.stderr.contains("a.rttm:2:") && huge.stderr.contains("duration")
                && huge.stderr.split(separator: "\n").count == 1, "\(huge.stderr)")
        try Self.write(Self.speaker("a", 0, 10, "alice") + "SPEAKER a 1 10 5 <NA> <NA> bob <NA> <NA> 0.9\n", to: dir.file("ref/a.rttm"))
        let eleven = try CLI.run(base)
        #expect(eleven.status == 1 && eleven.stderr.contains("a.rttm:2:") && eleven.stderr.contains("has 11"), "\(eleven.stderr)")
        let label = try CLI.run(base + ["--unknown-label", ""])
        #expect(label.status != 0 && label.stderr.contains("--unknown-label"), "\(label.stderr)")
    }

    // MARK: - --shard

    /// `--shard -1/4` was "Missing value" (the parser took -1 for an option): now the shard is
    /// read and refused for its index, naming the form INDEX/COUNT.
    @Test func aNegativeShardIsNamedNotMissing() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        for (shard, what) in [
            ("-1/4", "the index -1 is not 0 to 3"), ("4/4", "the index 4 is not 0 to 3"), ("1/0", "the count 0"), ("x", "is not INDEX/COUNT"),
        ] {
            for args in [["--shard", shard], ["--shard=\(shard)"]] {
                let r = try CLI.run(["evaluate", "--corpus", dir.path, "--ubm", dir.file("u.gmm"), "--scores", dir.file("s.tsv")] + args)
                #expect(
                    r.status != 0 && r.stderr.contains("--shard") && r.stderr.contains(what) && r.stderr.contains("INDEX/COUNT")
                        && !r.stderr.contains("Missing value"), "\(args): \(r.stderr)")
            }
        }
    }

    // MARK: - evaluate --trials

    /// A trial list of target trials only gave no verification figures under a "Closed-set"
    /// headline: the headline stays GMM-UBM and a line (and `verification_note` in JSON) says
    /// that verification needs non-target trials. A sharded run scores its part of a list.
    @Test func aTrialListWithoutNonTargetsSaysSo() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let enroll = try KaldiDataTests.dataFolder(dir, name: "enroll", segments: false)
        let test = try KaldiDataTests.dataFolder(dir, name: "test", segments: false)
        let ubm = dir.file("ubm.gmm"), models = dir.file("models")
        #expect(try CLI.run(["train-ubm", "--corpus", enroll, "--split", "all", "--components", "8", "--out", ubm, "-q"]).status == 0)
        #expect(try CLI.run(["enroll", "--models", models, "--corpus", enroll, "--ubm", ubm, "-q"]).status == 0)
        let list = dir.file("trials")
        try Self.write("low low-test-r0 target\r\nmid mid-test-r1 target\r\n", to: list)
        let base = ["evaluate", "--models", models, "--ubm", ubm, "--corpus", test, "--trials", list]
        let t = try CLI.run(base)
        #expect(t.status == 0 && t.stdout.hasPrefix("GMM-UBM identification") && !t.stdout.contains("Closed-set"), "\(t.stdout)")
        #expect(t.stdout.contains("has 2 target and 0 non-target trials") && t.stdout.contains("add nontarget lines"), "\(t.stdout)")
        let j = try CLI.run(base + ["--json"])
        let o = try #require(CLI.jsonLines(j.stdout).first, "\(j.stderr)")
        #expect((o["verification_note"] as? String ?? "").contains("needs both target and non-target trials") && o["trials"] as? Int == 6, "\(o)")
        #expect(j.stderr.contains("verification not measured"), "\(j.stderr)")
        // Sharded with a trial list: each shard scores the listed trials of its own files
        // (the other shards' utterances are not "missing from the test data").
        try Self.write(
            "low low-test-r0 target\nmid low-test-r0 nontarget\nmid mid-test-r1 target\nhigh mid-test-r1 nontarget\nlow high-test-r1 nontarget\n",
            to: list)
        var rows = 0
        for i in 0..<2 {
            let part = dir.file("part\(i).tsv")
            let r = try CLI.run(base + ["--shard", "\(i)/2", "--scores", part, "-q"])
            #expect(r.status == 0, "\(r.stderr)")
            rows += try String(contentsOfFile: part, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.count - 1
        }
        #expect(rows == 5, "the shards' score files hold the listed trials once each")
    }

    // MARK: - track --json

    /// `track --json` printed 1.4549999999999998 where text and RTTM are rounded: times are
    /// given to the millisecond, every number finite.
    @Test func trackJSONTimesAreRounded() throws {
        let f = try TrackingTests.Fixture()
        defer { f.dir.cleanup() }
        let c = TrackingTests.Conversation(turns: TrackingTests.turns, seed: 4, id: "talk")
        try AudioWriter.write(c.samples, sampleRate: TrackingTests.Conversation.rate, to: f.dir.file("talk.wav"))
        let r = try CLI.run([
            "track", "--models", f.models, "--ubm", f.ubm, "--threshold", "\(TrackingTests.Fixture.threshold)",
            "--normalize-break", "0.5", "--json", f.dir.file("talk.wav"),
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(CLI.jsonLines(r.stdout).first)
        #expect(((o["timeline"] as? [[String: Any]]) ?? []).count >= 4)
        // Every "..._seconds" number as printed: at most three decimals.
        let pattern = try NSRegularExpression(pattern: "\"[a-z_]+_seconds\":(-?[0-9.eE+-]+)")
        let text = r.stdout
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        #expect(matches.count >= 10)
        for m in matches {
            let number = String(text[Range(m.range(at: 1), in: text)!])
            let decimals = number.split(separator: ".").dropFirst().first?.count ?? 0
            #expect(decimals <= 3 && !number.contains("e"), "\(number)")
        }
    }
}
