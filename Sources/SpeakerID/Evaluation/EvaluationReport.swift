/// The outcome of an evaluation.
///
/// Encoded (as `speakerid evaluate --json` prints it) as one object: the whole-file
/// `LengthResult`'s keys at the top, then `segments` (each segment length's), `per_speaker`,
/// `confusion`, `skipped_files`, `segment_normalization`, `narrow_band_files`,
/// `score_normalization`, `threshold_source` (when there is one), `verification_note` (when
/// verification was asked for but could not be measured) and `run_seconds`. Neither the
/// histograms nor the kept scores are encoded.
public struct EvaluationReport: Encodable, Sendable {
    public var speakers: [String]
    /// Whole-file trials.
    public var whole: LengthResult
    public var segments: [LengthResult]
    /// Whole-file accuracy per true speaker.
    public var perSpeaker: [String: AccuracyResult]
    /// confusion[true][predicted] counts of whole-file trials, indexed like `speakers`.
    public var confusion: [[Int]]
    /// Files that could not be used, with the reason (only with skip-bad).
    public var skipped: [SkippedFile]
    public var segmentNormalization: SegmentNormalization
    public var scoreNormalization: ScoreNormalizationMode
    public var thresholdSource: String?
    public var seconds: Double
    /// Test and impostor files whose audio lacks part of the models' band (upsampled
    /// narrow-band audio), with their sample rates: their scores are not comparable.
    public var narrowBand = NarrowBandFiles()
    /// Every verification trial's score, when the evaluator was asked to keep them.
    public var scores: [VerificationScore] = []
    /// Why verification figures are missing although there is a UBM (no non-target or no
    /// target trials, e.g. a trial list of target trials only); nil when they are there or
    /// were not asked for.
    public var verificationNote: String?
    /// The scoring system the figures are of.
    public var system: ScoringSystem = .gmm
    /// Each system evaluated, with the same keys: the system asked for alone, or with the
    /// fusion also the GMM-UBM and d-vector systems (each calibrated by its part of the fusion's
    /// calibration, without open-set figures). Entries have no `systems` of their own.
    public var systems: [ScoringSystem: EvaluationReport] = [:]
    /// Whether verification was asked for (a UBM scores log-likelihood ratios), measured or not.
    public var verificationAsked: Bool { whole.verification != nil || verificationNote != nil }

    public var overall: AccuracyResult { whole.identification }

    /// The trials' figures alone: what `speakerid score-report --json` prints of the report.
    public var figures: Figures { Figures(report: self) }

    enum CodingKeys: String, CodingKey {
        case skippedFiles = "skipped_files"
        case segmentNormalization = "segment_normalization"
        case narrowBandFiles = "narrow_band_files"
        case scoreNormalization = "score_normalization"
        case thresholdSource = "threshold_source"
        case verificationNote = "verification_note"
        case runSeconds = "run_seconds"
        case system, systems
    }

    /// Writes the report as `evaluate --json` prints it.
    public func encode(to encoder: any Encoder) throws {
        try figures.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(skipped, forKey: .skippedFiles)
        try c.encode(segmentNormalization, forKey: .segmentNormalization)
        try c.encode(narrowBand, forKey: .narrowBandFiles)
        try c.encode(scoreNormalization, forKey: .scoreNormalization)
        try c.encodeIfPresent(thresholdSource, forKey: .thresholdSource)
        try c.encodeIfPresent(verificationNote, forKey: .verificationNote)
        try c.encodeNumber(seconds, forKey: .runSeconds)
        try c.encode(system, forKey: .system)
        if !systems.isEmpty {
            var nested = c.nestedContainer(keyedBy: SystemKey.self, forKey: .systems)
            for s in ScoringSystem.allCases {
                guard var r = systems[s] else { continue }
                r.systems = [:]
                try nested.encode(r, forKey: SystemKey(stringValue: s.rawValue))
            }
        }
    }

    struct SystemKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The figures of an evaluation's trials, without the run's settings, unusable files and
    /// time. Encoded as the whole-file `LengthResult`'s keys, `segments`, `per_speaker` (the
    /// speakers in model order, each `{speaker, accuracy, trials, correct}`) and `confusion`
    /// (`{speakers, matrix}`).
    public struct Figures: Encodable, Sendable {
        public let report: EvaluationReport

        enum CodingKeys: String, CodingKey {
            case segments
            case perSpeaker = "per_speaker"
            case confusion
        }

        enum ConfusionKeys: String, CodingKey {
            case speakers, matrix
        }

        /// One speaker's whole-file accuracy.
        struct SpeakerAccuracy: Encodable {
            var speaker: String
            var accuracy: AccuracyResult

            enum CodingKeys: String, CodingKey { case speaker }

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(speaker, forKey: .speaker)
                try accuracy.encode(to: encoder)
            }
        }

        /// Writes the figures as `score-report --json` prints them.
        public func encode(to encoder: any Encoder) throws {
            let r = report
            try r.whole.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(r.segments, forKey: .segments)
            try c.encode(r.speakers.compactMap { s in r.perSpeaker[s].map { SpeakerAccuracy(speaker: s, accuracy: $0) } }, forKey: .perSpeaker)
            var confusion = c.nestedContainer(keyedBy: ConfusionKeys.self, forKey: .confusion)
            try confusion.encode(r.speakers, forKey: .speakers)
            try confusion.encode(r.confusion, forKey: .matrix)
        }
    }
}

/// A file an evaluation could not use, and why. Encoded as `{file, error}`.
public struct SkippedFile: Codable, Sendable, Equatable {
    public var path: String
    public var reason: String

    /// The file at `path`, unusable for `reason`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case path = "file"
        case reason = "error"
    }
}

/// Test and impostor files whose audio lacks part of the models' band, counted by their
/// sample rate. Encoded as the numbers of files, `{test, impostors}`.
public struct NarrowBandFiles: Encodable, Sendable, Equatable {
    /// Test files per sample rate.
    public var test: [Int: Int] = [:]
    /// Impostor files per sample rate.
    public var impostors: [Int: Int] = [:]

    /// No narrow-band files.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case test, impostors
    }

    /// Writes the numbers of files.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(test.values.reduce(0, +), forKey: .test)
        try c.encode(impostors.values.reduce(0, +), forKey: .impostors)
    }
}
