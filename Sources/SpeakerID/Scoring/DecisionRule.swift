import Foundation

/// What a decision about a clip or a stretch of speech says.
public enum DecisionOutcome: String, Sendable, Equatable {
    /// Closed set: the best-scoring speaker is named.
    case identified
    /// Open set: the score (or its calibrated LLR) reached the threshold; the speaker is named.
    case accepted
    /// Open set: it fell below the threshold; nobody enrolled is named (unknown).
    case rejected
    /// Less speech than the rule's minimum: no decision.
    case tooShort = "too_short"

    /// Whether a speaker is named.
    public var namesSpeaker: Bool { self == .identified || self == .accepted }
}

/// One decision and the figures it was made on.
public struct Decision: Sendable, Equatable {
    public var outcome: DecisionOutcome
    /// The score decided on (normalised, when the scores are).
    public var score: Double
    /// Its calibrated natural-log LLR, with a calibration.
    public var llr: Double?
    /// Seconds of speech behind the score.
    public var speechSeconds: Double
}

/// How scores become decisions: closed set, a threshold on the score, or a calibration's LLR
/// at a threshold (usually the Bayes threshold of the prior and costs); and how much speech a
/// decision needs. identify, verify and track decide with it.
public struct DecisionRule: Sendable {
    /// The calibration whose LLRs are decided; nil when the scores themselves are.
    public let calibration: Calibration?
    /// The threshold in force (on LLRs with a calibration, else on scores); nil in a closed set,
    /// where every decision names the best-scoring speaker. Never nil with a calibration.
    public let threshold: Double?
    /// Less speech than this (seconds, after the VAD) gets no decision (`tooShort`).
    public var minimumSpeechSeconds: Double
    /// The prior and costs: the posteriors reported with LLRs (and the Bayes threshold they set).
    public var costs: DecisionCosts

    /// Seconds of speech below which identify and verify name no speaker by default. Measured:
    /// the 50-ms clip of the bad-input catalogue (4 frames) out-scored every genuine clip; the
    /// shortest spoken digits of fsdd hold 0.16-0.25 s of speech, and 99% of them at least 0.23 s.
    public static let defaultMinimumSpeechSeconds = 0.2

    /// The rule a calibration, a threshold and costs describe: with a calibration, its LLRs are
    /// decided at `threshold`, or at the Bayes threshold of `costs` when none is given; without
    /// one, `threshold` applies to the scores; without either, the set is closed. By default any
    /// speech is decided.
    public init(
        calibration: Calibration?, threshold: Double?, costs: DecisionCosts = DecisionCosts(),
        minimumSpeechSeconds: Double = 0
    ) {
        self.calibration = calibration
        self.threshold = calibration == nil ? threshold : threshold ?? costs.bayesThreshold
        self.minimumSpeechSeconds = minimumSpeechSeconds
        self.costs = costs
    }

    /// Verification's rule: as `init(calibration:threshold:costs:minimumSpeechSeconds:)`, except
    /// that without a calibration or a threshold log-likelihood ratios are decided at 0 (as
    /// likely the speaker as anyone): a claim is always accepted or rejected.
    public static func verification(
        calibration: Calibration?, threshold: Double?, costs: DecisionCosts = DecisionCosts(),
        minimumSpeechSeconds: Double = 0
    ) -> DecisionRule {
        DecisionRule(
            calibration: calibration, threshold: threshold ?? (calibration == nil ? 0 : nil), costs: costs,
            minimumSpeechSeconds: minimumSpeechSeconds)
    }

    /// Closed set, any speech decided.
    public static var closedSet: DecisionRule { DecisionRule(calibration: nil, threshold: nil) }
    /// A threshold on the score, any speech decided.
    public static func scoreThreshold(_ threshold: Double) -> DecisionRule { DecisionRule(calibration: nil, threshold: threshold) }
    /// A calibration's LLR at a threshold, any speech decided.
    public static func calibrated(_ calibration: Calibration, llrThreshold: Double) -> DecisionRule {
        DecisionRule(calibration: calibration, threshold: llrThreshold)
    }

    /// A rule for scores that are already calibrated LLRs (a fusion's, or the encoder systems'
    /// in tracking): decided at `threshold`, else at the Bayes threshold of `costs`.
    public static func onCalibratedLLRs(threshold: Double?, costs: DecisionCosts, minimumSpeechSeconds: Double = 0) -> DecisionRule {
        DecisionRule(calibration: nil, threshold: threshold ?? costs.bayesThreshold, costs: costs, minimumSpeechSeconds: minimumSpeechSeconds)
    }

    /// Whether a decision can reject (open set).
    public var isOpenSet: Bool { threshold != nil }

    /// The calibrated LLR of `score` for a test of `speechSeconds` against a model enrolled on
    /// `enrolSeconds`; nil without a calibration.
    public func llr(score: Double, speechSeconds: Double, enrolSeconds: Double) -> Double? {
        calibration?.llr(score: score, testSeconds: speechSeconds, enrolSeconds: enrolSeconds)
    }

    /// The decision on `score`, made from `speechSeconds` of speech against a model enrolled on
    /// `enrolSeconds`: too short below `minimumSpeechSeconds`; else accepted when the value the
    /// rule compares (the calibrated LLR, else the score) is at least the threshold, rejected
    /// when it is below; identified in a closed set.
    public func decide(score: Double, speechSeconds: Double, enrolSeconds: Double) -> Decision {
        let llr = llr(score: score, speechSeconds: speechSeconds, enrolSeconds: enrolSeconds)
        let outcome: DecisionOutcome
        if speechSeconds < minimumSpeechSeconds {
            outcome = .tooShort
        } else if let threshold {
            outcome = (llr ?? score) >= threshold ? .accepted : .rejected
        } else {
            outcome = .identified
        }
        return Decision(outcome: outcome, score: score, llr: llr, speechSeconds: speechSeconds)
    }

    /// Each model's threshold as an average frame score, for a stretch of `seconds` of speech
    /// (models enrolled on `enrolSeconds`): the score at which the decision turns. 0 in a closed
    /// set; for a calibration whose LLR does not rise with the score there, 0.
    public func scoreThresholds(enrolSeconds: [Double], seconds: Double) -> [Double] {
        guard let threshold else { return [Double](repeating: 0, count: enrolSeconds.count) }
        guard let calibration else { return [Double](repeating: threshold, count: enrolSeconds.count) }
        // LLR = A s + B at these durations: the score where it meets the threshold.
        return enrolSeconds.map { e in
            let b = calibration.llr(score: 0, testSeconds: seconds, enrolSeconds: e)
            let a = calibration.llr(score: 1, testSeconds: seconds, enrolSeconds: e) - b
            return a > 0 ? (threshold - b) / a : 0
        }
    }
}
