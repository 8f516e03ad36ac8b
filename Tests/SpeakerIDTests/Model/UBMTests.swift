import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

struct UBMTests {
    @Test func mapAdaptationFollowsTheClosedForm() throws {
        // One-component UBM; 30 frames at x = (2, -1): n = 30, E[x] = (2, -1), E[x^2] = (4, 1).
        let ubm = try DiagGMM(weights: [1], means: [0, 0], variances: [1, 2], dimension: 2)
        let frames = FeatureMatrix(rows: 30, columns: 2, values: Array(repeating: [Float(2), -1], count: 30).flatMap { $0 })
        var s = GMMStatistics(components: 1, dimension: 2)
        s.accumulate(ubm, frames, rows: 0..<30)
        var map = MAPAdaptation()
        map.relevance = 10
        map.adaptVariances = true
        let a = try map.adapt(ubm, statistics: s, varianceFloor: [1e-3, 1e-3])
        let alpha = 30.0 / 40.0
        #expect(abs(Double(a.means[0]) - alpha * 2) < 1e-5)
        #expect(abs(Double(a.means[1]) - alpha * -1) < 1e-5)
        // s' = alpha E[x^2] + (1 - alpha)(s + mu^2) - mu'^2
        let v0 = alpha * 4 + (1 - alpha) * 1 - (alpha * 2) * (alpha * 2)
        let v1 = alpha * 1 + (1 - alpha) * 2 - alpha * alpha
        #expect(abs(Double(a.variances[0]) - v0) < 1e-5)
        #expect(abs(Double(a.variances[1]) - v1) < 1e-5)
    }

    @Test func componentsTheSpeakerNeverTouchesStayAtTheUBM() throws {
        let ubm = try DiagGMM(weights: [0.5, 0.5], means: [-10, 10], variances: [1, 1], dimension: 1)
        let frames = FeatureMatrix(rows: 50, columns: 1, values: (0..<50).map { Float(9 + Double($0 % 3)) })
        var s = GMMStatistics(components: 2, dimension: 1)
        s.accumulate(ubm, frames, rows: 0..<50)
        var map = MAPAdaptation()
        map.adaptWeights = true
        let a = try map.adapt(ubm, statistics: s, varianceFloor: [1e-3])
        #expect(a.means[0] == -10)
        let ex: Double = (17.0 * 9.0 + 17.0 * 10.0 + 16.0 * 11.0) / 50.0
        let alpha: Double = 50.0 / 66.0
        let expected: Double = alpha * ex + (1 - alpha) * 10.0
        #expect(abs(Double(a.means[1]) - expected) < 1e-4)
        #expect(a.weights[1] > 0.5)
        #expect(abs(a.weights.reduce(0, +) - 1) < 1e-6)
    }

    @Test func topCWithEveryComponentIsExactScoring() throws {
        let ubm = try GMMTests.randomGMM(K: 12, D: 5, seed: 21)
        let spk = try GMMTests.randomGMM(K: 12, D: 5, seed: 22)
        let frames = mixtureSample(n: 700, weights: [1], means: [[0, 0, 0, 0, 0]], sds: [[2, 2, 2, 2, 2]], seed: 23)
        let exact = try UBMScorer(ubm: ubm, speakers: [spk, ubm], topC: 0).frameScores(frames)
        let all = try UBMScorer(ubm: ubm, speakers: [spk, ubm], topC: 12).frameScores(frames)
        for t in 0..<frames.rows {
            let ref = GMMTests.directLogLikelihood(spk, frames.row(t)) - GMMTests.directLogLikelihood(ubm, frames.row(t))
            #expect(abs(exact[0][t] - ref) < 1e-3 * max(1, abs(ref)))
            #expect(abs(all[0][t] - ref) < 1e-3 * max(1, abs(ref)))
            #expect(abs(exact[1][t]) < 1e-4)  // the UBM against itself
        }
    }

    @Test func topCIsCloseToExactForAdaptedModels() async throws {
        // Adapted models differ from the UBM only where the speaker has data: top-5 of 32
        // components must give nearly the exact score.
        let x = mixtureSample(
            n: 6000, weights: [0.3, 0.3, 0.4], means: [[0, 0, 0], [3, 0, -2], [-2, 3, 1]], sds: [[1, 1, 1], [1, 0.5, 1], [0.7, 1, 1]], seed: 31)
        var o = EMOptions()
        o.components = 32
        let ubm = try await EMTrainer(options: o).train(x, threads: 2).model
        let spkFrames = mixtureSample(n: 800, weights: [1], means: [[3, 0.5, -2]], sds: [[1, 0.5, 1]], seed: 32)
        var st = GMMStatistics(components: 32, dimension: 3)
        st.accumulate(ubm, spkFrames, rows: 0..<800)
        let spk = try MAPAdaptation().adapt(ubm, statistics: st, varianceFloor: [1e-3, 1e-3, 1e-3])
        let test = mixtureSample(n: 500, weights: [1], means: [[3, 0.5, -2]], sds: [[1, 0.5, 1]], seed: 33)
        let exact = try UBMScorer(ubm: ubm, speakers: [spk], topC: 0).scores(test)[0]
        let fast = try UBMScorer(ubm: ubm, speakers: [spk], topC: 5).scores(test)[0]
        #expect(exact > 0.1, "the speaker's own data should score above the UBM (\(exact))")
        #expect(abs(fast - exact) < 0.02 * abs(exact), "top-5 \(fast) vs exact \(exact)")
    }

    @Test func detectionMetricsOfKnownDistributions() throws {
        // Targets uniform on [0.2, 1.2), non-targets uniform on [0, 1): P_miss(t) = t - 0.2 and
        // P_fa(t) = 1 - t cross at t = 0.6, so EER = 0.4.
        let tar = (0..<2000).map { 0.2 + (Double($0) + 0.5) / 2000 }
        let non = (0..<2000).map { (Double($0) + 0.5) / 2000 }
        let m = try #require(DetectionMetrics(targets: tar, nonTargets: non))
        #expect(abs(m.eer - 0.4) < 0.002)
        #expect(abs(m.eerThreshold - 0.6) < 0.002)
        // minDCF: cost(t) = (10 * 0.01 * P_miss + 0.99 * P_fa) / 0.1, lowest where P_fa = 0
        // (t = 1, P_miss = 0.8): 0.8; accepting everything would cost 9.9, rejecting all 1.
        #expect(abs(m.minDCF - 0.8) < 0.01)
        #expect(m.det.first!.falseAlarm == 1 && m.det.last!.miss == 1)
        let separable = try #require(DetectionMetrics(targets: [2, 3, 4], nonTargets: [0, 1]))
        #expect(separable.eer == 0)
        #expect(separable.minDCF == 0)
        #expect(DetectionMetrics(targets: [], nonTargets: [1]) == nil)
    }

    @Test func zNormNeverUsesAModelsOwnSpeakerAsImpostor() throws {
        let t = { (s: [Double]) in FileTrials(speaker: .impostor, trials: [.init(length: .wholeFile, scores: s, cohort: nil)], error: nil, path: "") }
        let files = [t([10, 1]), t([12, 3]), t([100, 5])]
        let z = Evaluator.zStatistics(files, speakers: ["x", "y", "a"], models: ["a", "b"], lengths: 0)
        let m = try #require(z[.wholeFile])
        // Model "a" ignores the third file (speaker "a"): impostor scores 10 and 12.
        #expect(m[0].mean == 11 && m[0].deviation == 1)
        #expect(m[1].mean == 3)
    }

    @Test func tNormCentresAndScalesByTheCohortLeavingOutTheModelsOwnName() throws {
        let t = try TNorm(cohort: ["c1", "c2", "c3", "c4"], models: ["x", "c2"])
        // "x": cohort 1, 2, 3, 4 (mean 2.5, population variance 1.25); "c2": cohort 1, 3, 4
        // (mean 8/3, variance ((5/3)^2 + (1/3)^2 + (4/3)^2) / 3 = 14/9).
        let n = t.normalize([5, 5], cohortScores: [1, 2, 3, 4])
        #expect(abs(n[0] - 2.5 / 1.25.squareRoot()) < 1e-12)
        #expect(abs(n[1] - (5 - 8.0 / 3) / (14.0 / 9).squareRoot()) < 1e-12)
        // Too few cohort models once a model's own is left out: refused, naming the model.
        #expect(throws: ScoreNormalizationError.cohortTooSmall(model: "c2", left: 2)) { try TNorm(cohort: ["c1", "c2", "c3"], models: ["x", "c2"]) }
        #expect((try? TNorm(cohort: ["c1", "c2", "c3"], models: ["x"])) != nil)
    }

    @Test func modelsFromAnotherUBMAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        var ubmA = try ModelFileTests.model(speaker: "UBM")
        ubmA.kind = .ubm
        try ModelStore.write(ubmA, to: dir.file("a.ubm"))
        var ubmB = ubmA
        ubmB.training.seed = 5  // metadata alone does not make another UBM:
        #expect(ubmB.checksum == ubmA.checksum)
        ubmB.gmm = try DiagGMM(
            weights: ubmA.gmm.weights, means: ubmA.gmm.means.enumerated().map { $0.offset == 0 ? $0.element + 0.5 : $0.element },
            variances: ubmA.gmm.variances, dimension: ubmA.gmm.dimension)
        try ModelStore.write(ubmB, to: dir.file("b.ubm"))
        let a = try ModelStore.loadUBM(path: dir.file("a.ubm")), b = try ModelStore.loadUBM(path: dir.file("b.ubm"))
        #expect(a.checksumHex != b.checksumHex)
        var spk = try ModelFileTests.model(speaker: "s")
        spk.ubm = UBMReference(checksum: a.checksumHex, components: spk.gmm.components, relevance: 16, adapted: "m")
        try store.save(spk)
        #expect(try store.loadAll(ubm: a).count == 1)
        #expect(throws: ModelStoreError.self) { try store.loadAll(ubm: b) }
        #expect(throws: ModelStoreError.self) { try store.loadAll() }
        #expect(throws: ModelStoreError.self) { try ModelStore.loadUBM(path: store.path(for: SpeakerName("s"))) }
        // A model adapted before content checksums names its UBM by the file's CRC-64: still accepted.
        spk.ubm?.checksum = String(format: "%016llx", a.fileChecksum ?? 0)
        try store.save(spk)
        #expect(try store.loadAll(ubm: a).count == 1)
    }

    /// The checksum is the model's content: the same in memory and read back from its file, so a
    /// UBM trained in memory can be adapted from and scored against without being written.
    @Test func inMemoryUBMPipeline() async throws {
        let fe = try FrontEnd()
        let voices = [(90.0, "low"), (160.0, "mid"), (260.0, "high")]
        let feats = try voices.map { pitch, name in
            try (0..<2).map {
                try fe.features(
                    samples: SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: UInt64(pitch) &+ UInt64($0), pitch: pitch),
                    name: "\(name)\($0)")
            }
        }
        var em = EMOptions()
        em.components = 8
        let pooled = try #require(FeatureMatrix.concatenate(feats.flatMap { $0 }.map { fe.normalized($0.frames) }))
        let trained = try await EMTrainer(options: em).train(pooled, threads: 1)
        var ubm = SpeakerModel(
            speaker: "UBM", gmm: trained.model, frontEnd: fe.options,
            training: TrainingInfo(
                frames: pooled.rows, speechSeconds: 0, files: 6, iterations: trained.iterations,
                converged: trained.converged, finalLogLikelihood: trained.finalLogLikelihood, seed: 0, em: em))
        ubm.kind = .ubm
        let enrollment = try Enrollment(frontEnd: fe, em: em)
        var models: [SpeakerModel] = []
        for (i, (_, name)) in voices.enumerated() {
            models.append(try await enrollment.adapt(speaker: name, features: [feats[i][0]], ubm: ubm, map: MAPAdaptation(), threads: 1))
        }
        let id = try Identifier(models: models, ubm: ubm)
        #expect(id.identify(feats[1][1]).first?.speaker == "mid")
        let dir = TempDir()
        defer { dir.cleanup() }
        try ModelStore.write(ubm, to: dir.file("ubm.gmm"))
        let read = try ModelStore.loadUBM(path: dir.file("ubm.gmm"))
        #expect(read.checksum == ubm.checksum && read.checksumHex.count == 16)
        #expect(try Identifier(models: models, ubm: read).identify(feats[2][1]).first?.speaker == "high")
    }
}
