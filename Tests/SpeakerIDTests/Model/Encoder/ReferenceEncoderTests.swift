import Foundation
import Testing
@testable import SpeakerID

/// The Swift speaker encoder against Tests/Encoder/reference_encoder.py (numpy, librosa, the
/// weights read from the checkpoint by Python's own pickle module): `speakerid encoder embed
/// --raw` and the reference on the same files must give the same embedding. With resemblyzer's
/// weights (the wheel) and with random weights in a checkpoint whose tensors are strided views
/// of shared storages (no wheel needed).
///
/// Clips at 16 kHz (mono, and stereo: both sides average the channels) are read identically by
/// both, so they must agree to float precision: max |difference| 1e-5, cosine above 0.99999
/// (measured: 2e-7 at most, 1 - cosine under 5e-9). An 8-kHz clip is resampled by libsamplerate
/// on one side and by librosa (soxr) on the other, so it is held to a looser bound: max
/// difference 0.02, cosine above 0.9995 (measured with resemblyzer's weights: 0.0026 and
/// 0.99996).
struct ReferenceEncoderTests {
    struct Clip {
        var file: String
        var seconds: Double
        var rate: Int
        var stereo = false
        var exact: Bool { rate == 16000 }
    }

    static func clips(in dir: TempDir) throws -> [Clip] {
        let clips = [
            Clip(file: dir.file("half.wav"), seconds: 0.5, rate: 16000),
            Clip(file: dir.file("one-window.wav"), seconds: 1.6, rate: 16000),
            Clip(file: dir.file("two.wav"), seconds: 1.7, rate: 16000),
            Clip(file: dir.file("four.wav"), seconds: 4, rate: 16000),
            Clip(file: dir.file("stereo.wav"), seconds: 2.5, rate: 16000, stereo: true),
            Clip(file: dir.file("eight-k.wav"), seconds: 3, rate: 8000),
        ]
        for (i, c) in clips.enumerated() {
            try EncoderClips.write(c.file, seconds: c.seconds, rate: c.rate, seed: UInt64(40 + i), pitch: 110 + 30 * Double(i), stereo: c.stereo)
        }
        return clips
    }

    static func embeddings(_ lines: [[String: Any]]) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for l in lines { if let f = l["file"] as? String, let e = l["embedding"] as? [Double] { out[f] = e } }
        return out
    }

    /// Embeds `clips` with the encoder file and with the reference on `checkpoint` (a wheel or a
    /// .pt), and checks agreement clip by clip.
    static func checkAgreement(encoder: String, checkpoint: String, clips: [Clip], looseCosine: Double, looseMax: Double) throws {
        let files = clips.map(\.file)
        let swift = try CLI.run(["encoder", "embed", "--encoder", encoder, "--raw"] + files)
        try #require(swift.status == 0, "\(swift.stderr)")
        let swiftLines = CLI.jsonLines(swift.stdout)
        let ours = embeddings(swiftLines)
        let theirs = embeddings(try Python.reference(["embed", "--raw", "--pt", checkpoint] + files))
        // The windows resemblyzer cuts for the clips read at 16 kHz.
        let samples = clips.filter(\.exact).map { Int($0.seconds * 16000) }
        let slices = try Python.reference(["slices"] + samples.map(String.init))
        for c in clips {
            let a = try #require(ours[c.file], "no Swift embedding of \(c.file)")
            let b = try #require(theirs[c.file], "no reference embedding of \(c.file)")
            try #require(a.count == 256 && b.count == 256)
            let cosine = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
            let maxDiff = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            let norm = a.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5, "\(c.file): |embedding| = \(norm)")
            if c.exact {
                #expect(maxDiff <= 1e-5 && cosine > 0.99999, "\(c.file): max difference \(maxDiff), cosine \(cosine)")
                let line = try #require(swiftLines.first { $0["file"] as? String == c.file })
                let n = Int(c.seconds * 16000)
                let expected = try #require(slices.first { $0["samples"] as? Int == n }?["starts"] as? [Int])
                #expect(
                    line["windows"] as? Int == expected.count, "\(c.file): \(line["windows"] ?? "none") windows, resemblyzer cuts \(expected.count)")
                #expect(abs((line["speech_seconds"] as? Double ?? -1) - c.seconds) < 1e-9, "--raw keeps every sample: \(line)")
            } else {
                #expect(maxDiff <= looseMax && cosine > looseCosine, "\(c.file) (resampled): max difference \(maxDiff), cosine \(cosine)")
            }
        }
    }

    @Test(.enabled(if: EncoderResources.wheel != nil, EncoderResources.wheelAbsent), .enabled(if: Python.reference, Python.referenceAbsent))
    func resemblyzersWeightsGiveTheReferenceEmbeddings() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let encoder = try EncoderResources.convertedWheel()
        try Self.checkAgreement(
            encoder: encoder, checkpoint: try #require(EncoderResources.wheel), clips: try Self.clips(in: dir),
            looseCosine: 0.9995, looseMax: 0.02)
    }

    // Random weights, stored as views: a transposed tensor, two tensors sharing a storage, one
    // at an offset. The Swift reader and Python's unpickler must read the same network, and the
    // network must compute the same thing with weights that are not resemblyzer's.
    @Test(.enabled(if: Python.reference, Python.referenceAbsent))
    func randomWeightsInAStridedCheckpointGiveTheReferenceEmbeddings() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let pt = dir.file("random.pt")
        try Data(LegacyCheckpoint.randomResemblyzer(seed: 11).0.bytes()).write(to: URL(fileURLWithPath: pt))
        let encoder = dir.file("random.encoder")
        let c = try CLI.run(["encoder", "convert", pt, "--out", encoder])
        try #require(c.status == 0, "\(c.stderr)")
        try Self.checkAgreement(
            encoder: encoder, checkpoint: pt, clips: try Self.clips(in: dir).filter(\.exact),
            looseCosine: 1, looseMax: 0)
    }

    // The mean of the window embeddings is what resemblyzer returns: a clip of two windows
    // embeds as the normalised mean of the embeddings of its two windows, each computed as a
    // one-window clip (no wheel needed: any encoder).
    @Test func anUtteranceIsTheNormalisedMeanOfItsWindows() throws {
        let encoder = try EncoderFile.decode(EncoderResources.smallEncoderFile(hidden: 16, layers: 2, embedding: 24), name: "small")
        let wav = sine(220, seconds: 2.5, rate: 16000, amplitude: 0.3).enumerated().map { $0.1 * Float(1 + $0.0 % 7) / 4 }
        let starts = SpeakerEncoder.windowStarts(samples: wav.count)
        try #require(starts == [0, 77])
        let (embedding, windows) = encoder.embed(preprocessed: wav)
        #expect(windows.count == 2)
        // Each window alone: its 160 frames are those of the padded whole.
        let padded = wav + [Float](repeating: 0, count: max(0, (77 + 160) * 160 - wav.count))
        let mel = encoder.melSpectrogram.frames(of: padded)
        for (k, s) in starts.enumerated() {
            let alone = encoder.windowEmbeddings(mel: Array(mel[(s * 40)..<((s + 160) * 40)]), starts: [0])[0]
            #expect(zip(alone, windows[k]).allSatisfy { abs($0 - $1) < 1e-5 }, "window \(k) differs when embedded alone")
        }
        let mean = SpeakerEncoder.normalizedMean(windows)
        #expect(zip(mean, embedding).allSatisfy { abs($0 - $1) < 1e-7 })
        let norm = embedding.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(norm - 1) < 1e-6 && embedding.allSatisfy { $0 >= 0 }, "a unit vector after ReLU")
    }
}
