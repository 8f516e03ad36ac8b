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
        if let g = Self.frames(four.stdout), g < 100 {
            #expect(four.stderr.contains("add audio") && !four.stderr.contains("--components auto"), "\(four.stderr)")
        }
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
        #expect(zero.status == 0 || !zero.stderr.contains("less than"), "\(zero.stderr)")
        let neg = try CLI.run(["enroll", "--models", dir.file("models"), "--speaker", "x", "--min-speech", "-1", clip])
        #expect(neg.status == 64 && neg.stderr.contains("--min-speech must be 0-3600"), "\(neg.stderr)")
        let help = try CLI.run(["enroll", "--help"])
        #expect(help.stdout.contains("--min-speech") && help.stdout.contains("(default: 1.0)"), "\(help.stdout)")
    }
}
