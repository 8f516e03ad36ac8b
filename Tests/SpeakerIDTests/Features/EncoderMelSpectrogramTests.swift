import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The encoder's mel power spectrogram: librosa's `melspectrogram(sr=16000, n_fft=400,
/// hop_length=160, n_mels=40)` (centred frames, zero padding, periodic Hann, Slaney mel
/// filters with unit area), against librosa itself and by its properties.
struct EncoderMelSpectrogramTests {
    // librosa (through reference_encoder.py mel) on the same 16-bit file, read by both: within
    // 1e-6 of the peak everywhere, 1e-4 relative wherever the value is above 1e-6 of the peak
    // (measured: 1.4e-7 and 1.6e-5), and exactly zero where librosa's is.
    @Test(.enabled(if: Python.reference, Python.referenceAbsent))
    func framesAreLibrosas() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // Speech, then digital silence, then a full-scale square wave: a wide range of powers.
        let speech = SyntheticSpeech.generate(seconds: 1.3, sampleRate: 16000, seed: 8, pitch: 140)
        let square = (0..<4000).map { Float(($0 / 23) % 2 == 0 ? 0.99 : -0.99) }
        let wav = dir.file("mix.wav")
        try AudioWriter.write(speech + [Float](repeating: 0, count: 3001) + square, sampleRate: 16000, to: wav)
        let samples = try SpeakerEncoder.waveform(of: .file(wav)).samples
        let mel = EncoderMelSpectrogram()
        let ours = mel.frames(of: samples)
        let run = try Python.run([Python.referenceScript, "mel", wav])
        try #require(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
        try #require(
            rows.count == mel.frameCount(samples: samples.count),
            "librosa: \(rows.count) frames, SpeakerID: \(mel.frameCount(samples: samples.count))")
        try #require(rows.allSatisfy { $0.count == 40 })
        let theirs = rows.flatMap { $0 }
        let peak = theirs.max() ?? 0
        try #require(peak > 1)
        var worstRelative = 0.0, worstAbsolute = 0.0, zerosAgree = true
        for (a, b) in zip(ours.map(Double.init), theirs) {
            worstAbsolute = max(worstAbsolute, abs(a - b))
            if b > 1e-6 * peak { worstRelative = max(worstRelative, abs(a - b) / b) }
            if b == 0 && a > 1e-12 * peak { zerosAgree = false }
        }
        #expect(worstAbsolute <= 1e-6 * peak, "largest difference \(worstAbsolute), peak \(peak)")
        #expect(worstRelative <= 1e-4, "largest relative difference \(worstRelative) (values above 1e-6 of the peak)")
        #expect(zerosAgree, "the silent frames are silent in both")
    }

    // One frame every 160 samples, centred: frame t covers samples [160 t - 200, 160 t + 200),
    // zeros beyond the signal. An impulse shows in exactly the three frames whose window holds
    // it, most in the one centred on it (the periodic Hann window is 1 there).
    @Test func framesAreCentredOnEveryHop() {
        let mel = EncoderMelSpectrogram()
        #expect(mel.frameCount(samples: 0) == 1 && mel.frameCount(samples: 159) == 1 && mel.frameCount(samples: 160) == 2)
        var x = [Float](repeating: 0, count: 4000)
        x[1600] = 0.5
        let f = mel.frames(of: x)
        #expect(f.count == mel.frameCount(samples: 4000) * 40)
        let energy = (0..<(f.count / 40)).map { t in f[(t * 40)..<((t + 1) * 40)].reduce(0, +) }
        let lit = energy.indices.filter { energy[$0] > 0 }
        #expect(lit == [9, 10, 11], "frames holding the impulse: \(lit)")
        #expect(energy[10] > energy[9] && energy[10] > energy[11])
        #expect(abs(energy[9] - energy[11]) <= 1e-6 * energy[10], "the window is symmetric about the frame's centre")
        // The first frame is centred on sample 0: half of it is padding.
        var y = [Float](repeating: 0, count: 4000)
        y[0] = 0.5
        let g = mel.frames(of: y)
        let first = (0..<(g.count / 40)).map { t in g[(t * 40)..<((t + 1) * 40)].reduce(0, +) }
        #expect(first.indices.filter { first[$0] > 0 } == [0, 1] && first[0] > first[1], "\(first.prefix(3))")
    }

    // Power, not amplitude: twice the signal, four times every value. A tone's power lands in
    // the filters around its frequency; Slaney's filters are linear below 1 kHz (a 500-Hz tone
    // peaks in the band whose centre is nearest) and logarithmic above.
    @Test func powerInTheRightBands() {
        let mel = EncoderMelSpectrogram()
        let x = sine(1000, seconds: 0.5, rate: 16000, amplitude: 0.25)
        let a = mel.frames(of: x), b = mel.frames(of: x.map { $0 * 2 })
        #expect(zip(a, b).allSatisfy { abs($1 - 4 * $0) <= 1e-4 * max(1, abs($1)) })
        let centres = (1...40).map { EncoderMelSpectrogram.melToHz(EncoderMelSpectrogram.hzToMel(8000) * Double($0) / 41) }
        for hz in [250.0, 500, 1000, 2000, 4000, 6000] {
            let f = mel.frames(of: sine(hz, seconds: 0.5, rate: 16000, amplitude: 0.25))
            let t = 20
            let row = Array(f[(t * 40)..<((t + 1) * 40)])
            let loudest = row.indices.max { row[$0] < row[$1] }!
            let nearest = centres.indices.min { abs(centres[$0] - hz) < abs(centres[$1] - hz) }!
            #expect(abs(loudest - nearest) <= 1, "\(hz) Hz: loudest band \(loudest) (centre \(centres[loudest])), nearest centre band \(nearest)")
        }
        // The mel scale's fixed points: 1 kHz is 15 mels (3 per 200 Hz), and it inverts.
        #expect(abs(EncoderMelSpectrogram.hzToMel(1000) - 15) < 1e-12)
        #expect(abs(EncoderMelSpectrogram.hzToMel(200) - 3) < 1e-12)
        for hz in [0.0, 123, 999, 1000, 1001, 4321, 8000] {
            #expect(abs(EncoderMelSpectrogram.melToHz(EncoderMelSpectrogram.hzToMel(hz)) - hz) < 1e-9 * max(1, hz))
        }
    }
}
