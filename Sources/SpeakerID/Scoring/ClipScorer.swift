/// Scores recordings against enrolled models for decisions, T-normed against cohort models
/// when a cohort is given: the enrolled and cohort models are scored by one `Identifier`, so
/// the UBM's top-C search is shared, and each clip's enrolled scores are normalised by its
/// cohort scores (a cohort model named like an enrolled one is left out of its normalisation).
/// What `identify` and `verify` decide with.
public struct ClipScorer: Sendable {
    /// The enrolled models, in score order.
    public let models: [SpeakerModel]
    let identifier: Identifier
    let tnorm: TNorm?

    /// A scorer of `models`, T-normed against `cohort` when it is given (at least
    /// `TNorm.minimumCohort` models besides each enrolled speaker's own name).
    public init(models: [SpeakerModel], ubm: SpeakerModel?, cohort: [SpeakerModel]? = nil, topC: Int = 5) throws {
        self.models = models
        identifier = try Identifier(models: models + (cohort ?? []), ubm: ubm, topC: topC)
        tnorm = try cohort.map { try TNorm(cohort: $0.map(\.speaker), models: models.map(\.speaker)) }
    }

    /// The front end the models share.
    public var frontEnd: FrontEnd { identifier.frontEnd }

    /// One recording's scores.
    public struct Scores: Sendable {
        /// Every enrolled model's score, in model order (log-likelihood ratio with a UBM).
        public var raw: [Double]
        /// Their T-normed values, with a cohort.
        public var normalized: [Double]?
        public var speechFrames: Int
        public var duration: Double
        public var sourceSampleRate: Int

        /// The scores decisions use: normalised when normalised.
        public var decision: [Double] { normalized ?? raw }
    }

    /// Scores `source`, read in chunks (see `Identifier.scoreStreaming`).
    public func scores(_ source: AudioSource, raw: RawAudioFormat? = nil, chunkSeconds: Double = 600) throws(ScoringError) -> Scores {
        let r = try identifier.scoreStreaming(source, raw: raw, chunkSeconds: chunkSeconds)
        let n = models.count
        let enrolled = Array(r.scores[..<n])
        let normalized = tnorm.map { $0.normalize(enrolled, cohortScores: Array(r.scores[n...])) }
        return Scores(
            raw: enrolled, normalized: normalized, speechFrames: r.speechFrames, duration: r.duration,
            sourceSampleRate: r.sourceSampleRate)
    }
}
