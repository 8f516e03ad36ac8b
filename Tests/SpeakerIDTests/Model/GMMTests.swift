import Foundation
import Testing
@testable import SpeakerID

struct GMMTests {
    /// log sum_k w_k N(x; mu_k, s_k) computed directly in Double.
    static func directLogLikelihood(_ g: DiagGMM, _ x: [Float]) -> Double {
        var terms: [Double] = []
        for k in 0..<g.components {
            var l = log(Double(g.weights[k])) - 0.5 * Double(g.dimension) * log(2 * Double.pi)
            for d in 0..<g.dimension {
                let v = Double(g.variances[k * g.dimension + d]), m = Double(g.means[k * g.dimension + d])
                l -= 0.5 * (log(v) + (Double(x[d]) - m) * (Double(x[d]) - m) / v)
            }
            terms.append(l)
        }
        let m = terms.max()!
        return m + log(terms.reduce(0) { $0 + exp($1 - m) })
    }

    static func randomGMM(K: Int, D: Int, seed: UInt64) throws -> DiagGMM {
        var r = SeededRandom(seed: seed)
        let w = normalizedWeights((0..<K).map { _ in Float(0.1 + r.nextUnit()) })
        return try DiagGMM(
            weights: w, means: (0..<(K * D)).map { _ in Float(r.nextGaussian() * 2) },
            variances: (0..<(K * D)).map { _ in Float(0.2 + 2 * r.nextUnit()) }, dimension: D)
    }

    /// Shapes with tails in every direction of the product's tiles (13 and 700 components).
    @Test(arguments: [(13, 7), (700, 30)])
    func matrixProductScoringMatchesTheDirectFormula(K: Int, D: Int) throws {
        let g = try Self.randomGMM(K: K, D: D, seed: 1)
        let frames = mixtureSample(n: 600, weights: [1], means: [[Double](repeating: 0, count: D)], sds: [[Double](repeating: 2, count: D)], seed: 2)
        let fast = g.frameLogLikelihoods(frames)
        for t in 0..<frames.rows {
            let ref = Self.directLogLikelihood(g, frames.row(t))
            #expect(abs(fast[t] - ref) <= 1e-4 * max(1, abs(ref)), "frame \(t): \(fast[t]) vs \(ref)")
        }
    }

    @Test func vectorExpMatchesLibm() {
        var worst = 0.0
        var x: Float = -87
        while x < 88 {
            let e = Double(VectorMath.exp(x)), ref = exp(Double(x))
            worst = max(worst, abs(e - ref) / ref)
            x += 0.0137
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")
        #expect(VectorMath.exp(-200) == 0)
        #expect(VectorMath.exp(-.infinity) == 0)
    }

    @Test func statisticsMergeLikeOneAccumulation() throws {
        let g = try Self.randomGMM(K: 5, D: 3, seed: 3)
        let x = mixtureSample(n: 1000, weights: [1], means: [[0, 0, 0]], sds: [[1, 1, 1]], seed: 4)
        var all = GMMStatistics(components: 5, dimension: 3)
        all.accumulate(g, x, rows: 0..<1000)
        var a = GMMStatistics(components: 5, dimension: 3), b = a
        a.accumulate(g, x, rows: 0..<317)
        b.accumulate(g, x, rows: 317..<1000)
        a.merge(b)
        #expect(a.frames == 1000)
        #expect(abs(a.logLikelihood - all.logLikelihood) < 1e-6 * abs(all.logLikelihood))
        for k in 0..<5 { #expect(abs(a.occupancy[k] - all.occupancy[k]) < 1e-3) }
        #expect(abs(a.occupancy.reduce(0, +) - 1000) < 1e-2)
        // First- and second-order statistics merge too, and the first order of all components
        // sums to the data's own sum (posteriors sum to one per frame).
        #expect(a.firstOrder.count == 15 && a.secondOrder.count == 15)
        for i in 0..<15 {
            #expect(abs(a.firstOrder[i] - all.firstOrder[i]) < 1e-3 * max(1, abs(all.firstOrder[i])), "first order \(i)")
            #expect(abs(a.secondOrder[i] - all.secondOrder[i]) < 1e-3 * max(1, abs(all.secondOrder[i])), "second order \(i)")
        }
        for d in 0..<3 {
            let sum = (0..<1000).reduce(0.0) { $0 + Double(x.values[$1 * 3 + d]) }
            let sq = (0..<1000).reduce(0.0) { $0 + Double(x.values[$1 * 3 + d]) * Double(x.values[$1 * 3 + d]) }
            let firstTotal = (0..<5).reduce(0.0) { $0 + a.firstOrder[$1 * 3 + d] }
            let secondTotal = (0..<5).reduce(0.0) { $0 + a.secondOrder[$1 * 3 + d] }
            #expect(abs(firstTotal - sum) < 1e-2 * max(1, abs(sum)), "dimension \(d): \(firstTotal) vs \(sum)")
            #expect(abs(secondTotal - sq) < 1e-3 * sq, "dimension \(d): \(secondTotal) vs \(sq)")
        }
    }

    @Test func emRecoversAKnownMixture() async throws {
        let means = [[-6.0, 0.0], [0.0, 5.0], [6.0, -2.0]]
        let sds = [[1.0, 0.5], [0.7, 1.2], [1.5, 0.8]]
        let weights = [0.5, 0.3, 0.2]
        let x = mixtureSample(n: 20000, weights: weights, means: means, sds: sds, seed: 9)
        var o = EMOptions()
        o.components = 3
        o.maxIterations = 100
        o.tolerance = 1e-7
        let r = try await EMTrainer(options: o).train(x, threads: 2)
        for k in 0..<3 {
            // Match each true component to the nearest learned mean.
            let j = (0..<3).min { a, b in
                hypot(Double(r.model.means[a * 2]) - means[k][0], Double(r.model.means[a * 2 + 1]) - means[k][1])
                    < hypot(Double(r.model.means[b * 2]) - means[k][0], Double(r.model.means[b * 2 + 1]) - means[k][1])
            }!
            #expect(abs(Double(r.model.weights[j]) - weights[k]) < 0.02)
            for d in 0..<2 {
                #expect(abs(Double(r.model.means[j * 2 + d]) - means[k][d]) < 0.05)
                #expect(abs(Double(r.model.variances[j * 2 + d]).squareRoot() - sds[k][d]) < 0.05)
            }
        }
    }

    @Test func emNeverLowersTheLikelihoodOnSyntheticData() async throws {
        let x = mixtureSample(
            n: 8000, weights: [0.25, 0.25, 0.5], means: [[0, 0, 0, 0], [1, 2, 0, -1], [3, -1, 1, 0]],
            sds: [[1, 1, 1, 1], [0.5, 0.5, 2, 1], [1, 1, 0.3, 0.3]], seed: 11)
        var o = EMOptions()
        o.components = 16
        o.maxIterations = 40
        o.tolerance = 0
        let r = try await EMTrainer(options: o).train(x, threads: 2)
        Self.expectMonotone(r)
    }

    static func expectMonotone(_ r: TrainingResult) {
        #expect(r.history.count > 5)
        for i in 1..<r.history.count where !r.reseedIterations.contains(i) {
            #expect(r.history[i] >= r.history[i - 1] - 1e-5 * abs(r.history[i - 1]), "iteration \(i): \(r.history[i - 1]) -> \(r.history[i])")
        }
    }

    @Test(.enabled(if: SharedCorpora.root != nil, SharedCorpora.absent))
    func emNeverLowersTheLikelihoodOnRealSpeech() async throws {
        let root = try #require(SharedCorpora.root)
        let fe = try FrontEnd()
        let dir = (root as NSString).appendingPathComponent("minilibri/19")
        let files = Corpus.audioFiles(in: dir).prefix(3)
        try #require(!files.isEmpty, "no minilibri audio in \(dir)")
        let frames = try FeatureMatrix.concatenate(files.map { fe.normalized(try fe.features(of: .file($0)).frames) })!
        var o = EMOptions()
        o.components = 16
        o.maxIterations = 15
        o.tolerance = 0
        Self.expectMonotone(try await EMTrainer(options: o).train(frames, threads: 2))
    }

    @Test func trainingIsDeterministicWhateverTheThreadCount() async throws {
        let x = mixtureSample(n: 9000, weights: [0.5, 0.5], means: [[0, 0], [3, 3]], sds: [[1, 1], [1, 1]], seed: 12)
        var o = EMOptions()
        o.components = 8
        o.seed = 42
        let a = try await EMTrainer(options: o).train(x, threads: 1)
        let b = try await EMTrainer(options: o).train(x, threads: 2)
        let c = try await EMTrainer(options: o).train(x, threads: 5)
        #expect(a.model == b.model && b.model == c.model)
        o.seed = 43
        let d = try await EMTrainer(options: o).train(x, threads: 2)
        #expect(d.model != a.model)
    }

    @Test func collapsingComponentsAreReseededNotNaN() async throws {
        // 40 frames on 3 distinct points, 12 components: most components have nothing to explain.
        var v: [Float] = []
        for i in 0..<40 { v += [Float(i % 3), Float(i % 3) * 2] }
        var o = EMOptions()
        o.components = 12
        o.maxIterations = 20
        let r = try await EMTrainer(options: o).train(FeatureMatrix(rows: 40, columns: 2, values: v), threads: 1)
        #expect(r.model.weights.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(r.model.variances.allSatisfy { $0.isFinite && $0 > 0 })
        #expect(r.finalLogLikelihood.isFinite)
        // It did collapse, and was re-seeded: otherwise this test would not test re-seeding.
        #expect(!r.reseedIterations.isEmpty, "no component collapsed, so nothing was re-seeded")
    }

    @Test func tooFewFramesIsAClearError() async throws {
        var o = EMOptions()
        o.components = 64
        await #expect(throws: ModelError.notEnoughFrames(frames: 10, components: 64)) {
            try await EMTrainer(options: o).train(FeatureMatrix(rows: 10, columns: 2, repeating: 1), threads: 1)
        }
    }

    @Test func invalidParametersAreRefused() {
        #expect(throws: ModelError.self) { try DiagGMM(weights: [0.5, 0.6], means: [0, 0], variances: [1, 1], dimension: 1) }
        #expect(throws: ModelError.self) { try DiagGMM(weights: [1], means: [.nan], variances: [1], dimension: 1) }
        #expect(throws: ModelError.self) { try DiagGMM(weights: [1], means: [0], variances: [0], dimension: 1) }
    }

    @Test func automaticOrderFollowsTheAmountOfSpeech() {
        #expect(Enrollment.automaticComponents(frames: 50) == 4)
        #expect(Enrollment.automaticComponents(frames: 1600) == 64)
        #expect(Enrollment.automaticComponents(frames: 4500) == 128)
        #expect(Enrollment.automaticComponents(frames: 1_000_000) == 128)
    }
}
