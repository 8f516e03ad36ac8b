/// Accuracy over one set of trials. Encoded as `{accuracy, trials, correct}`, `accuracy`
/// null when there were no trials.
public struct AccuracyResult: Codable, Sendable, Equatable {
    public var correct: Int
    public var trials: Int
    public var accuracy: Double { trials > 0 ? Double(correct) / Double(trials) : 0 }

    /// `correct` trials out of `trials`.
    public init(correct: Int, trials: Int) {
        self.correct = correct
        self.trials = trials
    }

    enum CodingKeys: String, CodingKey {
        case correct, trials, accuracy
    }

    /// Reads `correct` and `trials` (the accuracy follows from them).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        correct = try c.decode(Int.self, forKey: .correct)
        trials = try c.decode(Int.self, forKey: .trials)
    }

    /// Writes `accuracy`, `trials` and `correct`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if trials > 0 { try c.encodeNumber(accuracy, forKey: .accuracy) } else { try c.encodeNil(forKey: .accuracy) }
        try c.encode(trials, forKey: .trials)
        try c.encode(correct, forKey: .correct)
    }
}

/// Open-set identification at one threshold. Encoded with the rates and the trial counts
/// (`genuine_accuracy`, `genuine_trials`, `genuine_rejected`, `impostor_acceptance`,
/// `impostor_trials`) and the `threshold`.
public struct OpenSetResult: Encodable, Sendable, Equatable {
    public var threshold: Double
    /// Genuine trials accepted and attributed to the right speaker.
    public var genuineCorrect: Int
    /// Genuine trials rejected (best score under the threshold).
    public var genuineRejected: Int
    public var genuineTrials: Int
    /// Impostor trials accepted as one of the enrolled speakers.
    public var impostorAccepted: Int
    public var impostorTrials: Int
    public var genuineAccuracy: Double { genuineTrials > 0 ? Double(genuineCorrect) / Double(genuineTrials) : 0 }
    public var impostorAcceptance: Double { impostorTrials > 0 ? Double(impostorAccepted) / Double(impostorTrials) : 0 }

    enum CodingKeys: String, CodingKey {
        case threshold
        case genuineAccuracy = "genuine_accuracy"
        case genuineTrials = "genuine_trials"
        case genuineRejected = "genuine_rejected"
        case impostorAcceptance = "impostor_acceptance"
        case impostorTrials = "impostor_trials"
    }

    /// Writes the counts, the rates and the threshold under their JSON keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNumber(threshold, forKey: .threshold)
        try c.encodeNumber(genuineAccuracy, forKey: .genuineAccuracy)
        try c.encode(genuineTrials, forKey: .genuineTrials)
        try c.encode(genuineRejected, forKey: .genuineRejected)
        try c.encodeNumber(impostorAcceptance, forKey: .impostorAcceptance)
        try c.encode(impostorTrials, forKey: .impostorTrials)
    }
}

/// Results for one test length (whole files, or segments of `seconds`).
///
/// Encoded as one flat object: the identification `accuracy`, `trials` and `correct`; the
/// `segment_seconds` of segments; with verification, `DetectionMetrics`' keys (`eer`,
/// `min_dcf`, `eer_threshold`, `verification_trials`, `det`) and `CalibrationFigures`' (`cllr`,
/// `min_cllr`, `act_dcf`, `bayes_threshold`, `act_p_miss`, `act_p_fa`, `bayes_error`); with
/// impostors, `open_set`. The histogram is left out.
public struct LengthResult: Encodable, Sendable {
    /// nil for whole files.
    public var seconds: Double?
    public var identification: AccuracyResult
    /// Verification over all (trial, enrolled speaker) pairs; with a UBM only.
    public var verification: DetectionMetrics?
    /// With impostors only.
    public var openSet: OpenSetResult?
    /// Target and non-target score histograms (with a UBM only).
    public var histogram: ScoreHistogram?
    /// How well the decision scores serve as LLRs: Cllr, minCllr, actDCF (with a UBM only).
    public var calibration: CalibrationFigures?

    enum CodingKeys: String, CodingKey {
        case segmentSeconds = "segment_seconds"
        case openSet = "open_set"
    }

    /// The parts' keys share this object's: the encoder's keyed container is the same for
    /// every part encoded into it, as with JSONEncoder.
    public func encode(to encoder: any Encoder) throws {
        try identification.encode(to: encoder)
        try verification?.encode(to: encoder)
        try calibration?.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let seconds { try c.encodeNumber(seconds, forKey: .segmentSeconds) }
        try c.encodeIfPresent(openSet, forKey: .openSet)
    }
}
