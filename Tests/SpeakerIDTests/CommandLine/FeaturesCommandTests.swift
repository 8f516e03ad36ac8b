import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// `speakerid features`: frames as JSON, CSV or a summary, from files and headerless PCM.
struct FeaturesCommandTests {
    @Test func featuresPrintsFramesWithTheirOptions() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 1, sampleRate: 8000, seed: 1), sampleRate: 8000, to: dir.file("a.wav"))
        let r = try CLI.run(["features", "--json", "--sample-rate", "8000", "--deltas", "0", "--ceps", "13", dir.file("a.wav")])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let frames = try #require(obj["frames"] as? [[Double]])
        #expect(!frames.isEmpty && frames.allSatisfy { $0.count == 14 })
        #expect(((obj["options"] as? [String: Any])?["cepstral"] as? [String: Any])?["coefficients"] as? Int == 13)
        let csv = try CLI.run(["features", "--csv", dir.file("a.wav")])
        #expect(csv.stdout.split(separator: "\n").contains { $0.hasPrefix("file,frame,c0,c1,c2,") })
        let s = try CLI.run(["features", "--summary", dir.file("a.wav")])
        #expect(s.stdout.contains("at 8000 Hz") && s.stdout.contains("kept by the VAD"))
        // Headerless 16-bit PCM at a stated rate.
        let pcm = SyntheticSpeech.generate(seconds: 1, sampleRate: 11025, seed: 2).flatMap { v -> [UInt8] in
            let i = Int16(max(-1, min(1, v)) * 32767)
            return [UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8)]
        }
        try Data(pcm).write(to: URL(fileURLWithPath: dir.file("b.raw")))
        let raw = try CLI.run(["features", "--summary", "--raw", "11025:pcm16", dir.file("b.raw")])
        #expect(raw.status == 0 && raw.stdout.contains("1.000 s at 11025 Hz"), "\(raw.stdout)\(raw.stderr)")
    }

    // --csv and --summary of features, no arguments at all, and enrolling narrow-band audio.
    @Test func csvSummaryNoArgumentsAndNarrowBandEnrolment() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
        let a = dir.file("corpus/low/0.wav"), b = dir.file("corpus/mid/0.wav")
        // --csv is CSV: one header row, no comments, every row the same width.
        let csv = try CLI.run(["features", "--csv", a, b])
        let rows = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(csv.status == 0 && rows.first.map { Array($0.prefix(2)) } == ["file", "frame"])
        #expect(rows.count > 100 && rows.allSatisfy { $0.count == rows[0].count } && !csv.stdout.contains("#"))
        #expect(
            rows.dropFirst().filter { $0.first.map(String.init) == a }.count > 50
                && rows.dropFirst().filter { $0.first.map(String.init) == b }.count > 50)
        // --summary summarises a silent file instead of failing.
        let silent = dir.file("silent.wav")
        try AudioWriter.write([Float](repeating: 0, count: 16000), sampleRate: 16000, to: silent)
        let s = try CLI.run(["features", "--summary", "--json", silent])
        let o = CLI.jsonLines(s.stdout).first
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
    @Test(
        .enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/time"), "needs /usr/bin/time (apt-get install time)"),
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
