import Foundation

/// Turns a speaker's recordings into a speaker model: features of every file, pooled, then EM.
public struct Enrollment: Sendable {
    public var frontEnd: FrontEnd
    public var em: EMOptions
    /// When true, `em.components` is ignored and each speaker gets `automaticComponents(frames:)`.
    public var automaticOrder: Bool

    /// Enrolment with one front end and EM options; `automaticOrder` picks each speaker's K from their amount of speech.
    public init(frontEnd: FrontEnd, em: EMOptions, automaticOrder: Bool = false) {
        self.frontEnd = frontEnd
        self.em = em
        self.automaticOrder = automaticOrder
    }

    /// Speech frames per component the automatic model order aims for.
    public static let framesPerComponent = 25
    public static let automaticRange = 4...128

    /// The model order for `frames` speech frames: the largest power of two with at least
    /// `framesPerComponent` frames (0.25 s of speech) per component, within 4...128. A minute
    /// of read speech (4,000-5,000 speech frames) gets 128, half a minute 64, a few seconds
    /// 4-8. Measured on minilibri, cv-fa and fsdd (README): fixed orders overfit the speakers
    /// with little enrolment audio or underfit those with much.
    public static func automaticComponents(frames: Int) -> Int {
        var k = automaticRange.lowerBound
        while k * 2 <= automaticRange.upperBound && k * 2 * framesPerComponent <= frames { k *= 2 }
        return k
    }

    /// The EM options used for a speaker with `frames` speech frames.
    public func options(frames: Int) -> EMOptions {
        var o = em
        if automaticOrder { o.components = Self.automaticComponents(frames: frames) }
        return o
    }

    /// Seconds of speech (after the VAD) below which a MAP-adapted speaker is worth a warning.
    /// Measured on cv-fa (README, `Tests/Benchmarks/ubm.sh cv-fa`): with T-norm, the 2-s
    /// verification EER against models enrolled on 10 s of speech or more is about 1%, against
    /// those enrolled on 5-10 s about 5%, and under 5 s about 11%. Short enrolment, not the
    /// test clip, is what most of the errors there come from.
    public static let recommendedSpeechSeconds = 10.0

    /// Seconds of speech in `frames` speech frames.
    public func speechSeconds(frames: Int) -> Double { Double(frames) * frontEnd.options.framing.frameShiftMs / 1000 }

    /// Frames per component below which a warning is due: a diagonal Gaussian in D dimensions
    /// has 2D + 1 parameters, and each wants a few frames.
    public func tooFewFrames(_ frames: Int) -> Bool { frames < options(frames: frames).components * 2 * frontEnd.options.dimension }

    /// Normalised speech frames of each file, pooled in file order.
    public func trainingFrames(_ features: [SpeechFeatures]) -> FeatureMatrix? {
        FeatureMatrix.concatenate(features.map { frontEnd.normalized($0.frames) })
    }

    /// Trains one speaker's model from already-extracted features.
    public func train(speaker: String, features: [SpeechFeatures], threads: Int) async throws -> SpeakerModel {
        _ = try SpeakerName(speaker)
        guard let frames = trainingFrames(features) else { throw ModelError.notEnoughFrames(frames: 0, components: em.components) }
        let em = options(frames: frames.rows)
        let result = try await EMTrainer(options: em).train(frames, threads: threads)
        let info = TrainingInfo(frames: frames.rows,
                                speechSeconds: speechSeconds(frames: frames.rows),
                                files: features.count, iterations: result.iterations, converged: result.converged,
                                finalLogLikelihood: result.finalLogLikelihood, seed: em.seed, em: em)
        return SpeakerModel(speaker: speaker, gmm: result.model, frontEnd: frontEnd.options, training: info)
    }

    /// MAP-adapts `ubm` to one speaker's features (Reynolds 2000). The front end must be the
    /// UBM's.
    public func adapt(speaker: String, features: [SpeechFeatures], ubm: SpeakerModel, map: MAPAdaptation,
                      threads: Int) async throws -> SpeakerModel {
        _ = try SpeakerName(speaker)
        guard ubm.frontEnd == frontEnd.options else {
            throw ModelStoreError.incompatible(speaker, reason: "the enrolment front end differs from the UBM's (\(FrontEndOptions.differences(ubm.frontEnd, frontEnd.options)))")
        }
        guard let frames = trainingFrames(features), frames.rows > 0 else {
            throw ModelError.notEnoughFrames(frames: 0, components: ubm.gmm.components)
        }
        let stats = try await EMTrainer.statistics(ubm.gmm, frames, threads: threads)
        let floor = columnVariances(frames).map { max($0 * Float(em.varianceFloor), 1e-6) }
        let gmm = try map.adapt(ubm.gmm, statistics: stats, varianceFloor: floor)
        var options = em
        options.components = ubm.gmm.components
        let info = TrainingInfo(frames: frames.rows,
                                speechSeconds: speechSeconds(frames: frames.rows),
                                files: features.count, iterations: 0, converged: true,
                                finalLogLikelihood: stats.averageLogLikelihood, seed: em.seed, em: options)
        var model = SpeakerModel(speaker: speaker, gmm: gmm, frontEnd: frontEnd.options, training: info)
        model.ubm = UBMReference(checksum: ubm.checksumHex, components: ubm.gmm.components,
                                 relevance: map.relevance, adapted: map.code)
        return model
    }
}
