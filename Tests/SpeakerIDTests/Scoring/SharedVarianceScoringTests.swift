import Foundation
import Testing
@testable import SpeakerID

/// The shared-variance top-C scorer (means-only adapted speakers, scored in place) against the
/// component-major one, across group and super-block boundaries.
struct SharedVarianceScoringTests {
    @Test func sharedVarianceScoringMatchesTheComponentMajorScorer() throws {
        let K = 40, D = 7, S = 70, T = 2100
        var r = SeededRandom(seed: 11)
        let w = normalizedWeights((0..<K).map { _ in Float(0.2 + r.nextUnit()) })
        let mu = (0..<(K * D)).map { _ in Float(r.nextGaussian() * 2) }
        let va = (0..<(K * D)).map { _ in Float(0.3 + r.nextUnit()) }
        let ubm = try DiagGMM(weights: w, means: mu, variances: va, dimension: D)
        let speakers = try (0..<S).map { _ in
            try DiagGMM(weights: w, means: mu.map { $0 + Float(0.4 * r.nextGaussian()) }, variances: va, dimension: D)
        }
        let frames = mixtureSample(
            n: T, weights: [1], means: [[Double](repeating: 0, count: D)],
            sds: [[Double](repeating: 2, count: D)], seed: 12)
        let fast = try UBMScorer(ubm: ubm, speakers: speakers, topC: 5)
        let plain = try UBMScorer(ubm: ubm, speakers: speakers, topC: 5, sharingVariances: false)
        #expect(fast.shared != nil && plain.shared == nil)
        let a = fast.frameScores(frames), b = plain.frameScores(frames)
        var worst = 0.0
        for s in 0..<S { for t in 0..<T { worst = max(worst, abs(a[s][t] - b[s][t]) / max(1, abs(b[s][t]))) } }
        #expect(worst < 1e-4, "largest relative difference \(worst)")
        // Clip scores summed on the fly equal the per-frame means.
        let sums = fast.scores(frames)
        for s in 0..<S { #expect(abs(sums[s] - a[s].reduce(0, +) / Double(T)) < 1e-9) }
        // A speaker with adapted variances turns the shared path off (and scores as before).
        var other = speakers
        other[3] = try DiagGMM(weights: w, means: speakers[3].means, variances: va.map { $0 * 1.1 }, dimension: D)
        #expect(try UBMScorer(ubm: ubm, speakers: other, topC: 5).shared == nil)
    }
}
