import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

struct AudioTests {
    @Test func everyWrittenFormatReadsBack() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let x = sine(440, seconds: 0.5, rate: 16000, amplitude: 0.25)
        for (name, format, tolerance) in [("a.wav", AudioWriter.Format.wav16, Float(1e-4)), ("b.wav", .wavFloat, 0), ("c.flac", .flac16, 1e-4)] {
            try AudioWriter.write(x, sampleRate: 16000, to: dir.file(name), format: format)
            let d = try AudioDecoder(path: dir.file(name))
            #expect(d.info.sampleRate == 16000 && d.info.channels == 1 && d.info.frames == Int64(x.count))
            let y = try d.readAll()
            #expect(y.count == x.count)
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= tolerance, "\(name): \(worst)")
        }
    }

    /// Lossy codecs: the decoded tone must keep its length (within the codec's padding) and
    /// its energy, and the front end must find speech in it.
    @Test(arguments: [
        ("a.ogg", AudioWriter.Format.oggVorbis, 16000), ("b.opus", .oggOpus, 48000), ("c.mp3", .mp3, 16000),
        ("d.wav", .wav24, 16000), ("e.wav", .wav32, 16000), ("f.aiff", .aiff16, 16000),
    ])
    func compressedAndOtherFormatsDecode(name: String, format: AudioWriter.Format, rate: Int) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let x = SyntheticSpeech.generate(seconds: 1, sampleRate: rate, seed: 4)
        try AudioWriter.write(x, sampleRate: rate, to: dir.file(name), format: format)
        let d = try AudioDecoder(path: dir.file(name))
        #expect(d.info.sampleRate == rate)
        let y = try d.readAll()
        #expect(abs(y.count - x.count) <= rate / 10, "\(name): \(y.count) samples for \(x.count)")
        let ex = x.reduce(0.0) { $0 + Double($1 * $1) }, ey = y.reduce(0.0) { $0 + Double($1 * $1) }
        #expect(abs(ey / ex - 1) < 0.2, "\(name): energy ratio \(ey / ex)")
        let f = try FrontEnd().features(of: .file(dir.file(name)))
        #expect(f.frames.rows > 30)
    }

    @Test func stereoIsAveragedToMono() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let n = 1000
        var inter: [Float] = []
        for i in 0..<n { inter += [Float(i % 7) * 0.01, -Float(i % 3) * 0.02] }
        try AudioWriter.write(inter, sampleRate: 8000, channels: 2, to: dir.file("s.wav"), format: .wavFloat)
        let y = try AudioDecoder(path: dir.file("s.wav")).readAll()
        #expect(y.count == n)
        for i in 0..<n { #expect(abs(y[i] - (Float(i % 7) * 0.01 - Float(i % 3) * 0.02) / 2) < 1e-7) }
    }

    @Test func resamplingKeepsAToneAtItsFrequency() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try AudioWriter.write(sine(1000, seconds: 1, rate: 8000), sampleRate: 8000, to: dir.file("t.wav"), format: .wavFloat)
        var o = FrontEndOptions()
        o.vad.enabled = false
        o.normalization.mode = .none
        o.deltas.order = 0
        let fe = try FrontEnd(options: o)
        let f = try fe.features(of: .file(dir.file("t.wav")))
        // One second at 8 kHz resampled to 16 kHz: 16000 samples, 99 frames.
        #expect(f.totalFrames == 99)
        #expect(abs(f.duration - 1) < 0.01)
        // The tone is still at 1 kHz: the log spectrum has the same shape as a 1 kHz tone
        // synthesised directly at 16 kHz (cepstra agree to within resampler error).
        let direct = try fe.features(samples: sine(1000, seconds: 1, rate: 16000)).frames
        let mid = 50
        var err: Float = 0
        for c in 0..<4 { err = max(err, abs(f.frames[mid, c] - direct[mid, c])) }
        #expect(err < 0.5, "c1..c4 differ by \(err)")
    }

    @Test func inMemoryDecodingMatchesFileDecoding() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try AudioWriter.write(sine(300, seconds: 0.3, rate: 16000), sampleRate: 16000, to: dir.file("m.flac"), format: .flac16)
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.file("m.flac")))
        #expect(try AudioDecoder(data: data, name: "stdin").readAll() == AudioDecoder(path: dir.file("m.flac")).readAll())
    }

    @Test func rawGSMIsReadWithAStatedFormat() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // 33-byte GSM 6.10 frames of zeros decode to 160 samples each.
        try Data(repeating: 0, count: 33 * 10).write(to: URL(fileURLWithPath: dir.file("x.gsm")))
        let d = try AudioDecoder(path: dir.file("x.gsm"), raw: RawAudioFormat(sampleRate: 8000, encoding: .gsm610))
        #expect(d.info.sampleRate == 8000)
        #expect(try d.readAll().count == 1600)
    }

    @Test func badInputsGiveTheirOwnErrors() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        #expect(throws: AudioError.fileNotFound(dir.file("nope.wav"))) { try AudioDecoder(path: dir.file("nope.wav")) }
        #expect(throws: AudioError.isDirectory(dir.path)) { try AudioDecoder(path: dir.path) }
        _ = FileManager.default.createFile(atPath: dir.file("empty.wav"), contents: Data())
        #expect(throws: AudioError.emptyFile(dir.file("empty.wav"))) { try AudioDecoder(path: dir.file("empty.wav")) }
        var rng = SeededRandom(seed: 5)
        _ = FileManager.default.createFile(
            atPath: dir.file("noise.wav"), contents: Data((0..<4000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
        #expect {
            try AudioDecoder(path: dir.file("noise.wav"))
        } throws: { e in
            if case .notAudio = e as? AudioError { return true }
            return false
        }
        _ = FileManager.default.createFile(atPath: dir.file("text.wav"), contents: Data("hello, this is not audio\n".utf8))
        #expect(throws: AudioError.self) { try AudioDecoder(path: dir.file("text.wav")) }
    }

    @Test func aHeaderWithNoDataIsNoAudio() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try AudioWriter.write([], sampleRate: 16000, to: dir.file("h.wav"))
        #expect(throws: AudioError.noAudioData(dir.file("h.wav"))) { try AudioDecoder(path: dir.file("h.wav")) }
    }

    @Test func aTruncatedFileIsReportedAsTruncated() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try AudioWriter.write(
            SyntheticSpeech.generate(seconds: 2, sampleRate: 16000, seed: 1), sampleRate: 16000, to: dir.file("t.flac"), format: .flac16)
        let full = try Data(contentsOf: URL(fileURLWithPath: dir.file("t.flac")))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: dir.file("cut.flac")))
        #expect {
            let d = try AudioDecoder(path: dir.file("cut.flac"))
            _ = try d.readAll()
        } throws: { e in
            switch e as? AudioError {
            case .truncated, .decodeFailed: return true
            default: return false
            }
        }
    }

    @Test func nonFiniteSamplesAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var x = sine(200, seconds: 0.1, rate: 16000)
        x[100] = .nan
        try AudioWriter.write(x, sampleRate: 16000, to: dir.file("nan.wav"), format: .wavFloat)
        #expect(throws: AudioError.nonFiniteSamples(dir.file("nan.wav"))) { try AudioDecoder(path: dir.file("nan.wav")).readAll() }
    }

    @Test func extremeButValidInputsWork() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let fe = try FrontEnd()
        // 384 kHz: resampled by 1/24.
        try AudioWriter.write(
            SyntheticSpeech.generate(seconds: 1, sampleRate: 384_000, seed: 1), sampleRate: 384_000, to: dir.file("hi.wav"), format: .wavFloat)
        let hi = try fe.features(of: .file(dir.file("hi.wav")))
        #expect(hi.sourceSampleRate == 384_000 && abs(hi.duration - 1) < 0.01 && hi.frames.rows > 20)
        // Eight channels, a path with spaces and non-ASCII letters.
        let eight = SyntheticSpeech.generate(seconds: 1, sampleRate: 16000, seed: 2).flatMap { v in [Float](repeating: v, count: 8) }
        let odd = dir.file("a folder/ünïcödé 声音 clip.wav")
        try FileManager.default.createDirectory(atPath: dir.file("a folder"), withIntermediateDirectories: true)
        try AudioWriter.write(eight, sampleRate: 16000, channels: 8, to: odd)
        let f8 = try fe.features(of: .file(odd))
        #expect(f8.sourceChannels == 8 && f8.frames.rows > 20)
        // A clipped square wave: finite features, no NaN.
        let square = (0..<16000).map { i -> Float in (i / 40) % 2 == 0 ? 1 : -1 }
        let sq = try fe.features(samples: square, name: "square")
        #expect(sq.frames.values.allSatisfy { $0.isFinite })
        #expect(fe.normalized(sq.frames).values.allSatisfy { $0.isFinite })
    }

    /// Inputs the fuzzers found (Tests/Fuzz): each must be refused or decoded cleanly.
    @Test func fuzzerFindingsStayHarmless() throws {
        let dir = try #require(Bundle.module.resourceURL?.appendingPathComponent("Golden/fuzz-regressions"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(!files.isEmpty)
        for f in files {
            let data = try Data(contentsOf: dir.appendingPathComponent(f))
            if let d = try? AudioDecoder(data: data, name: f), let feats = try? FrontEnd().features(from: d) {
                #expect(feats.frames.values.allSatisfy { $0.isFinite })
            }
            #expect((try? ModelFile.decode([UInt8](data), name: f)) == nil)
        }
    }

    @Test func absurdSampleRatesAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        #expect(throws: AudioError.unsupportedSampleRate(dir.file("x.raw"), rate: 1)) {
            try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: dir.file("x.raw")))
            _ = try AudioDecoder(path: dir.file("x.raw"), raw: RawAudioFormat(sampleRate: 1))
        }
    }
}
