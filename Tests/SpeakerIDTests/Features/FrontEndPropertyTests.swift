import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Closed-form and invariance properties of the front end.
struct FrontEndPropertyTests {
    @Test(arguments: [300.0, 1000.0, 2500.0, 6000.0])
    func aPureToneLandsInTheNearestMelBand(hz: Double) throws {
        let o = FrontEndOptions()
        let t = try CepstralTransform(options: o)
        let analyzer = CepstralAnalyzer(t)
        let x = sine(hz, seconds: 0.02, rate: o.framing.sampleRate)
        var out = [Float](repeating: 0, count: o.staticDimension)
        _ = x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { analyzer.analyze(frame: xb.baseAddress!, out: $0.baseAddress!) } }
        let loudest = analyzer.mel.indices.max { analyzer.mel[$0] < analyzer.mel[$1] }!
        let centres = (0..<o.filterbank.filters).map {
            MelFilterbank.centreFrequency($0, filters: o.filterbank.filters, low: o.filterbank.lowFrequency, high: o.effectiveHighFrequency)
        }
        let nearest = centres.indices.min { abs(centres[$0] - hz) < abs(centres[$1] - hz) }!
        #expect(
            loudest == nearest,
            "tone \(hz) Hz peaked in band \(loudest) (\(centres[loudest]) Hz), nearest centre is band \(nearest) (\(centres[nearest]) Hz)")
    }

    @Test func digitalSilenceIsNoSpeechNotNaN() throws {
        let fe = try FrontEnd()
        #expect(throws: FeatureError.noSpeech("silence", frames: 99)) {
            try fe.features(samples: [Float](repeating: 0, count: 16000), name: "silence")
        }
    }

    @Test func dcOnlyIsNoSpeech() throws {
        let fe = try FrontEnd()
        #expect(throws: FeatureError.self) { try fe.features(samples: [Float](repeating: 0.3, count: 16000), name: "dc") }
    }

    @Test func aClipShorterThanOneFrameIsTooShort() throws {
        let fe = try FrontEnd()
        #expect(throws: FeatureError.tooShort("tiny", seconds: 100.0 / 16000, frameSeconds: 0.02)) {
            try fe.features(samples: [Float](repeating: 0.1, count: 100), name: "tiny")
        }
    }

    @Test func dcOffsetAndScalingDoNotChangeNormalisedCepstra() throws {
        let fe = try FrontEnd()
        let x = SyntheticSpeech.generate(seconds: 2, sampleRate: 16000, seed: 3)
        let base = fe.normalized(try fe.features(samples: x).frames)
        let shifted = fe.normalized(try fe.features(samples: x.map { 0.5 * $0 + 0.2 }).frames)
        #expect(base.rows == shifted.rows)
        var worst: Float = 0
        for i in 0..<base.values.count { worst = max(worst, abs(base.values[i] - shifted.values[i])) }
        // Scaling by 0.5 adds 2 log 0.5 to every log mel energy: only c0 moves, and CMN removes
        // even that; the DC offset is removed per frame. What is left is Float rounding.
        #expect(worst < 2e-3, "largest change \(worst)")
    }

    @Test func deltasOfALinearRampAreItsSlope() {
        var m = FeatureMatrix(rows: 10, columns: 1)
        for t in 0..<10 { m[t, 0] = Float(3 * t) }
        let d = Deltas.append(to: m, order: 2, window: 2)
        for t in 2..<8 {
            #expect(abs(d[t, 1] - 3) < 1e-6)
            #expect(abs(d[t, 2]) < 1e-6 || t < 4 || t > 5)
        }
    }

    @Test func warpingGivesStandardNormalQuantiles() {
        var m = FeatureMatrix(rows: 5, columns: 1)
        for (t, v) in [5, 1, 4, 2, 3].enumerated() { m[t, 0] = Float(v) }
        let w = Normalizer.warp(m, window: 300)
        // Ranks 5,1,4,2,3 of 5 -> Phi^-1((R - 0.5)/5).
        let expected = [5, 1, 4, 2, 3].map { inverseNormalCDF((Double($0) - 0.5) / 5) }
        for t in 0..<5 { #expect(abs(Double(w[t, 0]) - expected[t]) < 1e-6) }
        #expect(abs(expected[4]) < 1e-12)
    }

    @Test func inverseNormalCDFMatchesKnownQuantiles() {
        #expect(abs(inverseNormalCDF(0.975) - 1.959963984540054) < 1e-12)
        #expect(abs(inverseNormalCDF(0.5)) < 1e-15)
        #expect(abs(inverseNormalCDF(1e-6) + 4.753424308822899) < 1e-10)
    }

    @Test func vadKeepsFramesWithinTheThresholdOfTheLoudest() {
        var o = VADOptions()
        o.thresholdDB = 20
        o.floorDB = -60
        let keep = VoiceActivity.speechFrames(powerDB: [-10, -25, -31, -.infinity, -65, -29.9], options: o)
        #expect(keep == [0, 1, 5])
    }

    @Test func invalidOptionsAreRefusedWithAReason() {
        var o = FrontEndOptions()
        o.cepstral.coefficients = 30
        #expect(throws: FeatureError.self) { try o.validate() }
        o = FrontEndOptions()
        o.filterbank.highFrequency = 9000
        #expect(throws: FeatureError.self) { try o.validate() }
        o = FrontEndOptions()
        o.framing.sampleRate = 8000
        o.filterbank.filters = 128
        #expect(throws: FeatureError.self) { try o.validate() }
    }

    @Test func fftPlansAreSharedPerSize() {
        #expect(FFTPlan.forSize(512) === FFTPlan.forSize(512))
        #expect(FFTPlan.forSize(256) !== FFTPlan.forSize(512))
    }

    @Test func concurrentExtractionGivesTheSameFramesAsSerial() async throws {
        let fe = try FrontEnd()
        let clips = (0..<6).map { SyntheticSpeech.generate(seconds: 1, sampleRate: 16000, seed: UInt64($0)) }
        let serial = try clips.map { try fe.features(samples: $0).frames }
        let parallel = try await parallelMap(count: clips.count, threads: 4) { try fe.features(samples: clips[$0]).frames }
        #expect(serial == parallel)
    }
}
