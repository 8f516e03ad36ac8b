/// One speaker's score for a clip.
public struct SpeakerScore: Sendable, Equatable {
    public var speaker: String
    /// Average per-frame log-likelihood.
    public var score: Double
}

/// Closed-set identification (Reynolds & Rose 1995): the speaker whose model gives the
/// highest average per-frame log-likelihood.
public struct Identifier: Sendable {
    public let models: [SpeakerModel]
    public let frontEnd: FrontEnd

    /// Checks the models share one front end and dimension.
    public init(models: [SpeakerModel]) throws {
        guard let first = models.first else { throw ModelStoreError.noModels("(no models given)") }
        for m in models where m.frontEnd != first.frontEnd {
            throw ModelStoreError.incompatible(m.speaker, reason: "front-end configuration differs from \(first.speaker)'s: \(FrontEndOptions.differences(first.frontEnd, m.frontEnd))")
        }
        self.models = models
        self.frontEnd = try FrontEnd(options: first.frontEnd)
    }

    public var speakers: [String] { models.map(\.speaker) }

    /// Average log-likelihood under every model, in model order, of frames already normalised.
    public func scores(_ frames: FeatureMatrix) -> [Double] {
        models.map { $0.gmm.averageLogLikelihood(frames) }
    }

    /// Scores sorted best first.
    public func ranking(_ frames: FeatureMatrix) -> [SpeakerScore] {
        let s = scores(frames)
        return zip(speakers, s).map { SpeakerScore(speaker: $0, score: $1) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.speaker < $1.speaker }
    }

    /// Identifies the speaker of raw (not yet normalised) speech frames.
    public func identify(_ features: SpeechFeatures) -> [SpeakerScore] {
        ranking(frontEnd.normalized(features.frames))
    }

    /// Index of the best score (ties go to the first model).
    public static func best(_ scores: [Double]) -> Int {
        var b = 0
        for i in scores.indices where scores[i] > scores[b] { b = i }
        return b
    }
}
