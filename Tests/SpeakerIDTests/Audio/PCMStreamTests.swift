import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The stream decoder against libsndfile: the same bytes, fed in pieces of every size, give
/// libsndfile's samples.
struct PCMStreamTests {
    static func pieces(_ d: PCMStreamDecoder, _ bytes: [UInt8], seed: UInt64) throws -> [Float] {
        var rng = SeededRandom(seed: seed)
        var out: [Float] = []
        var at = 0
        while at < bytes.count {
            let n = min(bytes.count - at, Int(rng.nextUnit() * 700))
            out += try d.push(bytes[at..<(at + n)])
            at += n
        }
        try d.finish()
        return out
    }

    @Test func headerlessEncodingsMatchLibsndfile() throws {
        var rng = SeededRandom(seed: 3)
        for encoding in RawAudioFormat.Encoding.allCases where encoding != .gsm610 {
            for channels in [1, 2] {
                let width = PCMStreamDecoder.width(encoding)
                var bytes: [UInt8] = []
                for _ in 0..<(3001 * channels) {
                    if encoding == .float32 {
                        let v = Float(rng.nextUnit() * 2 - 1)
                        withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
                    } else {
                        for _ in 0..<width { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
                    }
                }
                let format = RawAudioFormat(sampleRate: 16000, channels: channels, encoding: encoding)
                let reference = try AudioDecoder(data: Data(bytes), name: "ref", raw: format).readAll()
                let got = try Self.pieces(try PCMStreamDecoder(raw: format, name: "s"), bytes, seed: UInt64(width * channels))
                #expect(got.count == reference.count, "\(encoding) x\(channels)")
                let worst = zip(got, reference).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-7, "\(encoding) x\(channels): differs by \(worst)")
            }
        }
    }

    @Test func wavStreamsAreReadByTheirHeader() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let x = SyntheticSpeech.generate(seconds: 0.5, sampleRate: 22050, seed: 4)
        for (k, format) in [AudioWriter.Format.wav16, .wav24, .wav32, .wavFloat].enumerated() {
            let path = dir.file("\(k).wav")
            try AudioWriter.write(x + x.reversed(), sampleRate: 22050, channels: 2, to: path, format: format)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let reference = try AudioDecoder(path: path).readAll()
            let d = try PCMStreamDecoder(raw: nil, name: "s")
            let got = try Self.pieces(d, bytes, seed: UInt64(k))
            #expect(d.format?.sampleRate == 22050 && d.format?.channels == 2)
            #expect(got.count == reference.count && zip(got, reference).allSatisfy { abs($0 - $1) <= 1e-7 }, "\(format)")
        }
        // Not WAV, without --raw: refused in words; a stream ending inside its header too.
        #expect(throws: AudioError.self) { _ = try PCMStreamDecoder(raw: nil, name: "s").push(Array("hello world".utf8)) }
        let cut = try PCMStreamDecoder(raw: nil, name: "s")
        _ = try cut.push([0x52, 0x49, 0x46, 0x46, 0, 0])
        #expect(throws: AudioError.self) { try cut.finish() }
    }
}
