import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// What a demanding new user hit (issue #12), each through the real CLI: a crash, silent loss,
/// misleading decisions, raw system errors and inconsistent output. Every test here failed on
/// the code before the fix.
struct NewUserTests {
    typealias CLI = CommandLineTests

    /// A synthetic corpus, a background corpus, a 16-component UBM and models adapted from it.
    struct Fixture {
        let dir = TempDir()
        var ubm: String { dir.file("ubm.gmm") }
        var adapted: String { dir.file("adapted") }

        init(enrolAdapted: Bool = true) throws {
            try CLI.syntheticCorpus(dir)
            for (name, pitch) in [("bg1", 120.0), ("bg2", 200.0), ("bg3", 320.0)] {
                try FileManager.default.createDirectory(atPath: dir.file("background/\(name)"), withIntermediateDirectories: true)
                for j in 0..<2 {
                    try AudioWriter.write(SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: UInt64(100 + j) &* UInt64(pitch), pitch: pitch),
                                          sampleRate: 16000, to: dir.file("background/\(name)/\(j).wav"))
                }
            }
            let t = try CLI.run(["train-ubm", "--corpus", dir.file("background") + ":all", "--corpus", dir.file("corpus") + ":all",
                                 "--components", "16", "--out", ubm, "-q"])
            guard t.status == 0 else { throw CLIFailure(t.stderr) }
            if enrolAdapted {
                let e = try CLI.run(["enroll", "--models", adapted, "--corpus", dir.file("corpus"), "--split", "all", "--ubm", ubm, "-q"])
                guard e.status == 0 else { throw CLIFailure(e.stderr) }
            }
        }

        func clip(_ speaker: String, _ i: Int) -> String { dir.file("corpus/\(speaker)/\(i).wav") }
    }

    struct CLIFailure: Error { let message: String; init(_ m: String) { message = m } }

    static func jsonLines(_ s: String) -> [[String: Any]] {
        s.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    // 1. Option combinations that crashed are refused before any work, with one line.
    @Test func frameShiftLongerThanTheFrameIsRefusedNotACrash() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try CLI.syntheticCorpus(dir)
        let clip = dir.file("corpus/low/0.wav")
        for args in [["features", "--summary", "--frame-length", "20", "--frame-shift", "30", clip],
                     ["enroll", "--models", dir.file("m"), "--speaker", "x", "--frame-length", "20", "--frame-shift", "30", clip],
                     ["features", "--frame-length", "inf", clip],
                     ["features", "--warp-window", "inf", "--normalize", "warp", clip],
                     ["identify", "--models", dir.file("m"), "--chunk-seconds", "inf", clip]] {
            let r = try CLI.run(args)
            #expect(r.status == 1 || r.status == 64, "\(args): \(r.status) \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace") && !r.stderr.contains("Crash"), "\(args): \(r.stderr)")
        }
        let r = try CLI.run(["features", "--summary", "--frame-length", "20", "--frame-shift", "30", clip])
        #expect(r.status == 64 && r.stderr.split(separator: "\n").first?.contains("frame shift 30 ms is longer than the 20 ms frame") == true, "\(r.stderr)")
        // train-ubm --frames-on-disk refuses before it creates its temporary file.
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let u = try CLI.run(["train-ubm", "--corpus", dir.file("corpus") + ":all", "--frames-on-disk", "--frame-shift", "30",
                             "--frame-length", "20", "--out", dir.file("out/ubm.gmm")])
        let outLeft = try FileManager.default.contentsOfDirectory(atPath: dir.file("out"))
        #expect(u.status == 64 && outLeft.isEmpty, "\(u.stderr)")
        let threads = try CLI.run(["features", "--threads", "0", clip])
        #expect(threads.status == 64 && threads.stderr.contains("--threads must be 1-1024"), "\(threads.stderr)")
    }

    // 3. A threshold meant for raw scores is never applied to T-normed ones.
    @Test func tnormWithoutAThresholdIsRefused() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let r = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--tnorm-models", f.adapted, f.clip("low", 0)])
        #expect(r.status == 64 && r.stderr.contains("--tnorm-models needs --threshold"), "\(r.stderr)")
    }

    // 4. One bad clip does not lose the batch: the good ones are answered, the bad one named.
    @Test func oneBadClipDoesNotLoseTheBatch() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let text = f.dir.file("text.wav")
        try Data("this is not audio\n".utf8).write(to: URL(fileURLWithPath: text))
        for command in [["identify", "--models", f.adapted, "--ubm", f.ubm],
                        ["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low"]] {
            let r = try CLI.run(command + ["--json", f.clip("low", 0), text, f.clip("high", 1)])
            #expect(r.status == 1, "\(command[0]): \(r.status)")
            let lines = Self.jsonLines(r.stdout)
            #expect(r.stderr.contains("text.wav") && r.stderr.contains("1 of 3 clips failed"), "\(r.stderr)")
            try #require(lines.count == 3, "\(command[0]): \(r.stdout)")
            #expect(lines[0]["file"] as? String == f.clip("low", 0) && lines[2]["file"] as? String == f.clip("high", 1), "\(r.stdout)")
            #expect(lines[1]["error"] is String && lines[1]["file"] as? String == text)
            let lenient = try CLI.run(command + ["--skip-bad", f.clip("low", 0), text])
            #expect(lenient.status == 0 && lenient.stdout.hasPrefix(f.clip("low", 0)) && lenient.stderr.contains("text.wav"), "\(lenient.stderr)")
            let allBad = try CLI.run(command + ["--skip-bad", text])
            #expect(allBad.status == 1)
        }
    }

    // 5. An open-set rejection cannot be mistaken for a speaker called "unknown".
    @Test func rejectionIsNotASpeakerName() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        // A speaker cannot be enrolled as "unknown" (it is the label of rejected speech), and
        // a rejection prints no name.
        let e = try CLI.run(["enroll", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "unknown", f.clip("mid", 0), "-q"])
        #expect(e.status == 1 && e.stderr.contains("nobody enrolled"), "\(e.stderr)")
        let r = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold", "1000", "--json", f.clip("mid", 1)])
        let o = try #require(Self.jsonLines(r.stdout).first)
        #expect(o["decision"] as? String == "rejected" && o["speaker"] is NSNull, "\(o)")
        let named = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold=-1000", "--json", f.clip("mid", 1)])
        let n = try #require(Self.jsonLines(named.stdout).first)
        #expect(n["decision"] as? String == "accepted" && n["speaker"] is String)
        let text = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold", "1000", f.clip("mid", 1)])
        #expect(text.stdout.hasPrefix(f.clip("mid", 1) + "\t<unknown>\t"), "\(text.stdout)")
        // Names that look like decisions, or that differ only by white space, are refused.
        for bad in ["<unknown>", " ", "bob ", " bob"] {
            let b = try CLI.run(["enroll", "--models", f.adapted, "--ubm", f.ubm, "--speaker", bad, f.clip("mid", 0)])
            #expect(b.status == 1 && b.stderr.contains("speaker name") && b.stderr.split(separator: "\n").count == 1, "\(bad.debugDescription): \(b.stderr)")
        }
    }

    // 6. Almost no speech gets "too short", not a confident name.
    @Test func tooLittleSpeechIsNotNamed() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let tiny = f.dir.file("tiny.wav")
        let x = SyntheticSpeech.generate(seconds: 2, sampleRate: 16000, seed: 5, pitch: 90)
        try AudioWriter.write(Array(x[8000..<8800]), sampleRate: 16000, to: tiny)  // 50 ms
        let v = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--json", tiny])
        let o = try #require(Self.jsonLines(v.stdout).first, "\(v.stderr)")
        #expect(o["decision"] as? String == "too_short" && o["accept"] as? Bool == false, "\(o)")
        #expect((o["speech_seconds"] as? Double ?? 1) < 0.1)
        let i = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, tiny])
        #expect(i.stdout.hasPrefix(tiny + "\t<too short>\t"), "\(i.stdout)")
        // Settable: with --min-speech 0 the clip is scored and named.
        let any = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--min-speech", "0", "--json", tiny])
        #expect(Self.jsonLines(any.stdout).first?["decision"] as? String == "identified")
        // Every answer carries its speech duration, in text too.
        let full = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", f.clip("low", 1)])
        #expect(full.stdout.contains(" s of speech"), "\(full.stdout)")
    }

    // 7. A model the folder's other models cannot be scored with is refused; so are options
    // that would do nothing; the same file twice counts once.
    @Test func mismatchedModelsDoNotPoisonAFolder() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let before = try FileManager.default.contentsOfDirectory(atPath: f.adapted).sorted()
        let em = try CLI.run(["enroll", "--models", f.adapted, "--speaker", "eve", f.clip("mid", 0)])
        #expect(em.status == 1 && em.stderr.contains("trained by EM could not be scored beside it"), "\(em.stderr)")
        let fe = try CLI.run(["enroll", "--models", f.dir.file("plain"), "--corpus", f.dir.file("corpus"), "--split", "all", "--components", "4", "-q"])
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
        let twice = try CLI.run(["enroll", "--models", f.dir.file("twice"), "--speaker", "low", "--components", "4", "--json",
                                 f.dir.file("corpus/low"), f.clip("low", 0), f.clip("low", 0)])
        #expect(twice.status == 0, "\(twice.stderr)")
        let m = try #require(Self.jsonLines(twice.stdout).first?["models"] as? [[String: Any]])
        let info = try CLI.run(["info", "--json", f.dir.file("twice/low.gmm")])
        let training = Self.jsonLines(info.stdout).first?["training"] as? [String: Any]
        #expect(training?["files"] as? Int == 3 && m.count == 1, "\(info.stdout)")
        let said = Self.jsonLines(twice.stdout).first?["warnings"] as? [String] ?? []
        #expect(said.contains { $0.contains("0.wav") && $0.contains("counted once") }, "\(said)")
        let text = try CLI.run(["enroll", "--models", f.dir.file("twice"), "--speaker", "low", "--components", "4", f.clip("low", 0), f.clip("low", 0)])
        #expect(text.stderr.contains("0.wav is listed twice"), "\(text.stderr)")
    }

    // 9. The automatic order is not second-guessed by a warning that contradicts it.
    @Test func noWarningAgainstTheAutomaticOrder() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try CLI.syntheticCorpus(dir)
        let auto = try CLI.run(["enroll", "--models", dir.file("m"), "--speaker", "low", dir.file("corpus/low/0.wav")])
        #expect(auto.status == 0 && !auto.stderr.contains("consider --components"), "\(auto.stderr)")
        // A fixed order too large for the speech still is warned about, pointing at auto.
        let fixed = try CLI.run(["enroll", "--models", dir.file("m"), "--speaker", "low", "--components", "64", dir.file("corpus/low/0.wav")])
        #expect(fixed.status == 0 && fixed.stderr.contains("consider --components auto"), "\(fixed.stderr)")
    }

    // 10. Negative numbers are values, not options.
    @Test func negativeNumbersAreAccepted() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let t = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--threshold", "-0.5", "--json", f.clip("low", 0)])
        #expect(t.status == 0 && Self.jsonLines(t.stdout).first?["threshold"] as? Double == -0.5, "\(t.stderr)")
        let v = try CLI.run(["features", "--summary", "--vad-floor", "-60", f.clip("low", 0)])
        #expect(v.status == 0, "\(v.stderr)")
        let i = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold", "-2", f.clip("low", 0)])
        #expect(i.status == 0, "\(i.stderr)")
    }

    // 11. Outputs are checked before the work, and errors speak of the user's things.
    @Test func outputsCheckedFirstAndErrorsInTheUsersWords() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let existing = f.dir.file("report.txt")
        try Data("x".utf8).write(to: URL(fileURLWithPath: existing))
        let rep = try CLI.run(["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--report", existing])
        #expect(rep.status == 1 && rep.stderr.contains("report.txt: is a file") && !rep.stderr.contains("NSCocoaErrorDomain"), "\(rep.stderr)")
        #expect(rep.stdout.isEmpty, "the evaluation ran before the output was checked")
        let onFile = try CLI.run(["enroll", "--models", f.ubm, "--speaker", "x", f.clip("low", 0)])
        #expect(onFile.status == 1 && onFile.stderr.contains("is a file, not a folder") && !onFile.stderr.contains("NSCocoaErrorDomain"), "\(onFile.stderr)")
        let alice = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "Low", f.clip("low", 0)])
        #expect(alice.status == 1 && alice.stderr.contains("speaker \"Low\" is not enrolled") && alice.stderr.contains("did you mean \"low\"")
                && !alice.stderr.contains("%4C"), "\(alice.stderr)")
        let fifo = f.dir.file("pipe.wav")
        #expect(mkfifo(fifo, 0o644) == 0)
        let p = try CLI.run(["features", fifo])
        #expect(p.status == 1 && p.stderr.contains("named pipe") && !p.stderr.contains("empty"), "\(p.stderr)")
        let dirOut = try CLI.run(["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", f.adapted])
        #expect(dirOut.status == 1 && dirOut.stderr.contains("is a folder"), "\(dirOut.stderr)")
    }

    // 12. Interrupted, nothing is left behind and the user is told what was done.
    @Test(.disabled(if: Sanitizer.active, Sanitizer.reason))
    func interruptionLeavesNothingBehind() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // Enough audio that train-ubm is still reading it when the signal comes.
        try FileManager.default.createDirectory(atPath: dir.file("bg/a"), withIntermediateDirectories: true)
        let x = SyntheticSpeech.generate(seconds: 60, sampleRate: 16000, seed: 3, pitch: 150)
        for i in 0..<40 { try AudioWriter.write(x, sampleRate: 16000, to: dir.file("bg/a/\(i).wav")) }
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        for sig in [SIGINT, SIGTERM] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["train-ubm", "--corpus", dir.file("bg") + ":all", "--frames-on-disk", "--components", "256", "--threads", "1",
                           "--out", dir.file("out/ubm.gmm")]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            // Wait until the frame file exists, then interrupt.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, (try FileManager.default.contentsOfDirectory(atPath: dir.file("out"))).isEmpty { usleep(20_000) }
            let appeared = try FileManager.default.contentsOfDirectory(atPath: dir.file("out"))
            #expect(!appeared.isEmpty, "no frame file appeared")
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus == 128 + sig, "\(p.terminationStatus) \(said)")
            #expect(said.contains("interrupted by") && said.contains("removed 1 temporary file"), "\(said)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")) == [])
        }
        // Corpus enrolment says which models were written and which were not.
        for s in ["a", "b", "c", "d"] {
            try FileManager.default.createDirectory(atPath: dir.file("corpus/\(s)"), withIntermediateDirectories: true)
            for i in 0..<6 { try AudioWriter.write(x, sampleRate: 16000, to: dir.file("corpus/\(s)/\(i).wav")) }
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["enroll", "--models", dir.file("models"), "--corpus", dir.file("corpus"), "--threads", "1"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, ((try? FileManager.default.contentsOfDirectory(atPath: dir.file("models"))) ?? []).filter({ $0.hasSuffix(".gmm") }).isEmpty {
            usleep(5_000)
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.file("models"))) ?? []
        #expect(!left.contains { $0.hasSuffix(".tmp") }, "\(left)")
        if p.terminationStatus == 128 + SIGINT {
            #expect(said.contains("were written") && said.contains("not written:") && said.contains("Run the same command again"), "\(said)")
            let written = left.filter { $0.hasSuffix(".gmm") }
            #expect(written.allSatisfy { said.contains("\"\($0.dropLast(4))\"") }, "\(written) \(said)")
        } else {
            // The run finished before the signal: then every model is there.
            #expect(p.terminationStatus == 0 && left.filter { $0.hasSuffix(".gmm") }.count == 4, "\(p.terminationStatus) \(said)")
        }
    }

    // 12b. A signal that lands while the frame file is being created (or just after the
    // cleanup removed it) is still an interruption: no file is left, exit 128 + the signal,
    // never "Error: ... open: No such file or directory", exit 1. Kills at many small delays
    // around the file's creation, alternating SIGINT and SIGTERM.
    @Test(.disabled(if: Sanitizer.active, Sanitizer.reason))
    func aSignalDuringTheFrameFilesCreationLeavesNothingAndIsAnInterruption() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.file("bg/a"), withIntermediateDirectories: true)
        let x = SyntheticSpeech.generate(seconds: 20, sampleRate: 16000, seed: 5, pitch: 140)
        for i in 0..<12 { try AudioWriter.write(x, sampleRate: 16000, to: dir.file("bg/a/\(i).wav")) }
        // A small corpus too, whose frame file is finished and read by EM block after block
        // within the first tenth of a second (the cleanup removing it under EM's feet).
        try FileManager.default.createDirectory(atPath: dir.file("small/a"), withIntermediateDirectories: true)
        for i in 0..<3 { try AudioWriter.write(Array(x.prefix(16000 * 10)), sampleRate: 16000, to: dir.file("small/a/\(i).wav")) }
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let start = Date()
        var run = 0
        for delay in stride(from: 0.02, through: 0.30, by: 0.005) where Date().timeIntervalSince(start) < 18 {
            let sig = run % 2 == 0 ? SIGTERM : SIGINT
            let corpus = run % 4 < 2 ? "bg" : "small"
            run += 1
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["train-ubm", "--corpus", dir.file(corpus) + ":all", "--frames-on-disk", "--components", corpus == "bg" ? "512" : "16", "--iterations", "10000",
                           "--tolerance", "0", "--threads", "1", "--out", dir.file("out/ubm.gmm"), "-q"]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            usleep(useconds_t(delay * 1e6))
            kill(p.processIdentifier, sig)
            p.waitUntilExit()
            let said = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationReason == .exit && p.terminationStatus == 128 + sig && said.contains("interrupted by"),
                    "delay \(delay): \(p.terminationStatus) \(said)")
            #expect(!said.contains("Error"), "delay \(delay): \(said)")
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.file("out"))
            #expect(left.isEmpty, "delay \(delay): \(left)")
            for name in left { try? FileManager.default.removeItem(atPath: dir.file("out/\(name)")) }
        }
        #expect(run >= 10)
    }

    // 13. One naming convention: every key of every command's JSON is snake_case and listed in
    // the README's table of JSON keys; score means the decision score everywhere.
    @Test func everyJSONKeyIsSnakeCaseAndDocumented() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        try FileManager.default.createDirectory(atPath: f.dir.file("impostors/imp"), withIntermediateDirectories: true)
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 77, pitch: 400), sampleRate: 16000, to: f.dir.file("impostors/imp/0.wav"))
        let plain = f.dir.file("plain"), cohort = f.dir.file("cohort")
        #expect(try CLI.run(["enroll", "--models", cohort, "--corpus", f.dir.file("background"), "--split", "all", "--ubm", f.ubm, "-q"]).status == 0)
        let cal = f.dir.file("dev.cal")
        let bad = f.dir.file("bad.wav")
        try Data("no".utf8).write(to: URL(fileURLWithPath: bad))
        let runs: [[String]] = [
            ["features", "--json", f.clip("low", 0)],
            ["features", "--summary", "--json", f.clip("low", 0)],
            ["enroll", "--models", plain, "--corpus", f.dir.file("corpus"), "--split", "all", "--components", "4", "--json"],
            ["identify", "--models", plain, "--json", f.clip("low", 0), bad],
            ["identify", "--models", f.adapted, "--ubm", f.ubm, "--tnorm-models", cohort, "--threshold", "0", "--json", f.clip("low", 0)],
            ["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--tnorm-models", cohort, "--threshold", "0", "--json", f.clip("low", 0)],
            ["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--segment-seconds", "1",
             "--impostors", f.dir.file("impostors"), "--threshold", "0", "--json"],
            ["info", "--json", f.ubm, f.dir.file("adapted/low.gmm"), f.dir.file("plain/low.gmm")],
            ["speakers", "list", "--models", f.adapted, "--json"],
            ["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", f.dir.file("u4.gmm"), "--json"],
            ["bench", "score", "--models", "3", "--components", "8", "--frames", "200", "--dim", "4", "--json"],
            ["calibrate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus") + ":all", "--segment-seconds", "0.5",
             "--out", cal, "--json"],
            ["identify", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--json", f.clip("low", 0)],
            ["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--calibration", cal, "--json", f.clip("low", 0)],
            ["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--calibration", cal, "--json"],
            ["bench", "score", "--models", "3", "--components", "8", "--frames", "200", "--dim", "4", "--top-c", "2", "--json"],
            ["bench", "em", "--frames", "500", "--components", "4", "--dim", "3", "--iterations", "1", "--json"],
            ["bench", "features", "--seconds", "1", "--repeats", "1", "--audio-dir", f.dir.file("bench-audio")],
            ["bench", "gemm", "--components", "8", "--inner", "9", "--seconds", "0.01"],
            ["track", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--rttm", f.dir.file("rttm"), "--json", f.clip("low", 0), bad],
            ["track", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--stream", "--idle-timeout", "0.2", "--json", f.clip("mid", 0)],
            ["evaluate-tracking", "--reference", f.dir.file("rttm"), "--hypothesis", f.dir.file("rttm"), "--json"],
            // Sharded training and evaluation (issue #17), in order: each step reads the last one's file.
            ["init-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", f.dir.file("m0.gmm"), "--json"],
            ["accumulate", "--model", f.dir.file("m0.gmm"), "--corpus", f.dir.file("background") + ":all", "--shard", "0/1",
             "--out", f.dir.file("s0.stats"), "--json"],
            ["sum-stats", "--out", f.dir.file("all.stats"), f.dir.file("s0.stats"), "--json"],
            ["update", "--model", f.dir.file("m0.gmm"), "--stats", f.dir.file("all.stats"), "--out", f.dir.file("m1.gmm"), "--json"],
            ["evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--shard", "1/2",
             "--scores", f.dir.file("part.tsv"), "--json"],
            ["score-report", "--json", f.dir.file("part.tsv")],
        ] + (SlurmClusterTests.slurmIsUp ? [["cluster", "train-ubm", "--engine", "slurm", "--corpus", f.dir.file("background") + ":all",
                                              "--components", "4", "--iterations", "1", "--shards", "2", "--work", f.dir.file("work"),
                                              "--out", f.dir.file("cluster.gmm"), "--threads", "1", "--json"]] : [])
        let documented = try Readme.jsonKeys()
        var seen = Set<String>()
        func collect(_ v: Any) {
            if let o = v as? [String: Any] {
                for (k, x) in o { seen.insert(k); collect(x) }
            } else if let a = v as? [Any] { a.forEach(collect) }
        }
        for args in runs {
            let r = try CLI.run(args)
            let lines = Self.jsonLines(r.stdout)
            #expect(!lines.isEmpty, "\(args): \(r.stderr)")
            lines.forEach(collect)
        }
        let notSnake = seen.filter { $0.range(of: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$", options: .regularExpression) == nil }
        #expect(notSnake.isEmpty, "not snake_case: \(notSnake.sorted())")
        let undocumented = seen.subtracting(documented)
        #expect(undocumented.isEmpty, "keys missing from the README's JSON table: \(undocumented.sorted())")
        // info tells a UBM from an adapted model and names the adapted model's UBM.
        let info = Self.jsonLines(try CLI.run(["info", "--json", f.ubm, f.dir.file("adapted/low.gmm")]).stdout)
        #expect(info.first?["kind"] as? String == "ubm" && (info.first?["checksum"] as? String)?.count == 16)
        let ref = info.last?["ubm"] as? [String: Any]
        #expect(info.last?["kind"] as? String == "map_adapted" && ref?["checksum"] as? String == info.first?["checksum"] as? String
                && ref?["adapted"] as? [String] == ["means"] && ref?["relevance"] as? Double == 16, "\(info)")
        // With T-norm, "score" is the T-normed score in identify as in verify; "raw_score" the ratio.
        let i = Self.jsonLines(try CLI.run(runs[4]).stdout).first
        let v = Self.jsonLines(try CLI.run(runs[5]).stdout).first
        let top = (i?["ranking"] as? [[String: Any]])?.first { $0["speaker"] as? String == "low" }
        #expect(abs((top?["score"] as? Double ?? .nan) - (v?["score"] as? Double ?? 0)) < 1e-9, "\(String(describing: top)) \(String(describing: v))")
        #expect(abs((top?["raw_score"] as? Double ?? .nan) - (v?["raw_score"] as? Double ?? 0)) < 1e-9)
    }

    // 14. The smaller ones.
    @Test func csvSummaryNoArgumentsAndNarrowBandEnrolment() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try CLI.syntheticCorpus(dir)
        let a = dir.file("corpus/low/0.wav"), b = dir.file("corpus/mid/0.wav")
        // --csv is CSV: one header row, no comments, every row the same width.
        let csv = try CLI.run(["features", "--csv", a, b])
        let rows = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(csv.status == 0 && rows.first.map { Array($0.prefix(2)) } == ["file", "frame"])
        #expect(rows.count > 100 && rows.allSatisfy { $0.count == rows[0].count } && !csv.stdout.contains("#"))
        #expect(rows.dropFirst().filter { $0.first.map(String.init) == a }.count > 50 && rows.dropFirst().filter { $0.first.map(String.init) == b }.count > 50)
        // --summary summarises a silent file instead of failing.
        let silent = dir.file("silent.wav")
        try AudioWriter.write([Float](repeating: 0, count: 16000), sampleRate: 16000, to: silent)
        let s = try CLI.run(["features", "--summary", "--json", silent])
        let o = Self.jsonLines(s.stdout).first
        #expect(s.status == 0 && o?["speech_frames"] as? Int == 0 && o?["frames"] as? Int == 99, "\(s.stderr) \(s.stdout)")
        // No arguments is a usage error.
        let none = try CLI.run([])
        #expect(none.status == 64 && none.stderr.contains("USAGE"), "\(none.status)")
        // Enrolling 8-kHz audio into a 16-kHz front end warns, as scoring it does.
        let narrow = dir.file("narrow.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 8000, seed: 9, pitch: 160), sampleRate: 8000, to: narrow)
        let e = try CLI.run(["enroll", "--models", dir.file("m"), "--speaker", "n", narrow])
        #expect(e.status == 0 && e.stderr.contains("1 enrolment file (8000 Hz) lack"), "\(e.stderr)")
    }

    // features --summary streams: a long file's summary needs little memory.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/time"), "needs /usr/bin/time (apt-get install time)"),
          .disabled(if: Sanitizer.active, Sanitizer.reason))
    func summaryOfALongFileStreams() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let x = SyntheticSpeech.generate(seconds: 60, sampleRate: 16000, seed: 1, pitch: 150)
        let path = dir.file("long.wav")
        try AudioWriter.write(Array(repeatElement(x, count: 60).joined()), sampleRate: 16000, to: path)  // 1 hour
        let r = try CLI.runTool("/usr/bin/time", ["-f", "%M", CLI.binary, "features", "--summary", "--json", path])
        let kb = Int(r.stderr.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") ?? .max
        #expect(r.status == 0, "\(r.stderr)")
        // Sanitizer runtimes add hundreds of megabytes of their own: the bound holds for normal
        // builds (the README's test command), as in LongRecordingTests.
        if dlsym(dlopen(nil, RTLD_NOW), "__asan_init") == nil && dlsym(dlopen(nil, RTLD_NOW), "__tsan_init") == nil {
            #expect(kb < 100_000, "peak \(kb) kB: \(r.stderr)")
        }
    }
}
