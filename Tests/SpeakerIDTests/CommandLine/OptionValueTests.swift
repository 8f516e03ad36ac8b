import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Option values as a user types them: negative numbers are values, and out-of-range values
/// and combinations that cannot work are usage errors (exit 64) before any work, never a crash.
struct OptionValueTests {
    // Option combinations that crashed are refused before any work, with one line.
    @Test func frameShiftLongerThanTheFrameIsRefusedNotACrash() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
        let clip = dir.file("corpus/low/0.wav")
        for args in [
            ["features", "--summary", "--frame-length", "20", "--frame-shift", "30", clip],
            ["enroll", "--models", dir.file("m"), "--speaker", "x", "--frame-length", "20", "--frame-shift", "30", clip],
            ["features", "--frame-length", "inf", clip],
            ["features", "--warp-window", "inf", "--normalize", "warp", clip],
            ["identify", "--models", dir.file("m"), "--chunk-seconds", "inf", clip],
        ] {
            let r = try CLI.run(args)
            #expect(r.status == 1 || r.status == 64, "\(args): \(r.status) \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace") && !r.stderr.contains("Crash"), "\(args): \(r.stderr)")
        }
        let r = try CLI.run(["features", "--summary", "--frame-length", "20", "--frame-shift", "30", clip])
        #expect(
            r.status == 64 && r.stderr.split(separator: "\n").first?.contains("frame shift 30 ms is longer than the 20 ms frame") == true,
            "\(r.stderr)")
        // train-ubm --frames-on-disk refuses before it creates its temporary file.
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let u = try CLI.run([
            "train-ubm", "--corpus", dir.file("corpus") + ":all", "--frames-on-disk", "--frame-shift", "30",
            "--frame-length", "20", "--out", dir.file("out/ubm.gmm"),
        ])
        let outLeft = try FileManager.default.contentsOfDirectory(atPath: dir.file("out"))
        #expect(u.status == 64 && outLeft.isEmpty, "\(u.stderr)")
        let threads = try CLI.run(["features", "--threads", "0", clip])
        #expect(threads.status == 64 && threads.stderr.contains("--threads must be 1-1024"), "\(threads.stderr)")
    }

    // Negative numbers are values, not options.
    @Test func negativeNumbersAreAccepted() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let t = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--threshold", "-0.5", "--json", f.clip("low", 0)])
        #expect(t.status == 0 && CLI.jsonLines(t.stdout).first?["threshold"] as? Double == -0.5, "\(t.stderr)")
        let v = try CLI.run(["features", "--summary", "--vad-floor", "-60", f.clip("low", 0)])
        #expect(v.status == 0, "\(v.stderr)")
        let i = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold", "-2", f.clip("low", 0)])
        #expect(i.status == 0, "\(i.stderr)")
    }

    // A negative number reaches the range check on every numeric option (never
    // "Missing value"), and every out-of-range value is a usage error, exit 64, before any work.
    @Test func everyRangeErrorIsAUsageErrorAndNegativesAreValues() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
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
}
