import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// `speakerid identify` and `verify` on a batch of clips: every clip answered or named, and
/// a decision (rejected, too short) never read as a speaker.
struct IdentifyVerifyCommandTests {
    // A threshold meant for raw scores is never applied to T-normed ones.
    @Test func tnormWithoutAThresholdIsRefused() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let r = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--tnorm-models", f.adapted, f.clip("low", 0)])
        #expect(r.status == 64 && r.stderr.contains("--tnorm-models needs --threshold"), "\(r.stderr)")
    }

    // One bad clip does not lose the batch: the good ones are answered, the bad one named.
    @Test func oneBadClipDoesNotLoseTheBatch() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let text = f.dir.file("text.wav")
        try Data("this is not audio\n".utf8).write(to: URL(fileURLWithPath: text))
        for command in [
            ["identify", "--models", f.adapted, "--ubm", f.ubm],
            ["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low"],
        ] {
            let r = try CLI.run(command + ["--json", f.clip("low", 0), text, f.clip("high", 1)])
            #expect(r.status == 1, "\(command[0]): \(r.status)")
            let lines = CLI.jsonLines(r.stdout)
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

    // An open-set rejection cannot be mistaken for a speaker called "unknown".
    @Test func rejectionIsNotASpeakerName() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        // A speaker cannot be enrolled as "unknown" (it is the label of rejected speech), and
        // a rejection prints no name.
        let e = try CLI.run(["enroll", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "unknown", f.clip("mid", 0), "-q"])
        #expect(e.status == 1 && e.stderr.contains("nobody enrolled"), "\(e.stderr)")
        let r = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold", "1000", "--json", f.clip("mid", 1)])
        let o = try #require(CLI.jsonLines(r.stdout).first)
        #expect(o["decision"] as? String == "rejected" && o["speaker"] is NSNull, "\(o)")
        let named = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold=-1000", "--json", f.clip("mid", 1)])
        let n = try #require(CLI.jsonLines(named.stdout).first)
        #expect(n["decision"] as? String == "accepted" && n["speaker"] is String)
        let text = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--threshold", "1000", f.clip("mid", 1)])
        #expect(text.stdout.hasPrefix(f.clip("mid", 1) + "\t<unknown>\t"), "\(text.stdout)")
        // Names that look like decisions, or that differ only by white space, are refused.
        for bad in ["<unknown>", " ", "bob ", " bob"] {
            let b = try CLI.run(["enroll", "--models", f.adapted, "--ubm", f.ubm, "--speaker", bad, f.clip("mid", 0)])
            #expect(
                b.status == 1 && b.stderr.contains("speaker name") && b.stderr.split(separator: "\n").count == 1,
                "\(bad.debugDescription): \(b.stderr)")
        }
    }

    // Almost no speech gets "too short", not a confident name.
    @Test func tooLittleSpeechIsNotNamed() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let tiny = f.dir.file("tiny.wav")
        let x = SyntheticSpeech.generate(seconds: 2, sampleRate: 16000, seed: 5, pitch: 90)
        try AudioWriter.write(Array(x[8000..<8800]), sampleRate: 16000, to: tiny)  // 50 ms
        let v = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--json", tiny])
        let o = try #require(CLI.jsonLines(v.stdout).first, "\(v.stderr)")
        #expect(o["decision"] as? String == "too_short" && o["accept"] as? Bool == false, "\(o)")
        #expect((o["speech_seconds"] as? Double ?? 1) < 0.1)
        let i = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, tiny])
        #expect(i.stdout.hasPrefix(tiny + "\t<too short>\t"), "\(i.stdout)")
        // Settable: with --min-speech 0 the clip is scored and named.
        let any = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--min-speech", "0", "--json", tiny])
        #expect(CLI.jsonLines(any.stdout).first?["decision"] as? String == "identified")
        // Every answer carries its speech duration, in text too.
        let full = try CLI.run(["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", f.clip("low", 1)])
        #expect(full.stdout.contains(" s of speech"), "\(full.stdout)")
    }
}
