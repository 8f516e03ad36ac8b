import Foundation

/// What a tracker says about a stretch of speech.
public enum TrackingOutcome: String, Sendable, Equatable {
    /// Closed set: the best speaker is named.
    case identified
    /// Open set: the best speaker reached the threshold and is named.
    case accepted
    /// Open set: nobody enrolled (unknown speech).
    case rejected
    /// A live window without enough speech to decide.
    case noSpeech = "no_speech"
}

/// A decision about a stretch of speech, with the figures it was made on.
public struct SpeakerDecision: Sendable, Equatable {
    public var outcome: TrackingOutcome
    /// The enrolled speaker named, nil for unknown speech or no speech.
    public var speaker: String?
    /// The best-scoring enrolled speaker, named or not.
    public var bestSpeaker: String?
    /// The best speaker's average frame score over the stretch's speech frames.
    public var score: Double?
    /// Its calibrated log-likelihood ratio, with a calibration.
    public var llr: Double?
    /// Seconds of speech the decision was made on.
    public var speechSeconds: Double
    /// With the speaker encoder (`dvector`, `fusion`): the best speaker's cosine.
    public var dvectorScore: Double? = nil
    /// With the speaker encoder: every enrolled speaker's calibrated LLR, in model order.
    public var speakerLLRs: [Double]? = nil
}

/// Makes a stretch of speech's decision (`DecisionRule`, on the best speaker's average frame
/// score) from summed frame scores, and says what the rule means per frame for the decoder.
struct SpeechDecider: Sendable {
    let speakers: [String]
    let enrolSeconds: [Double]
    let rule: DecisionRule
    let frameSeconds: Double

    var openSet: Bool { rule.isOpenSet }

    /// The decision on `frames` speech frames whose scores summed to `sums` (one per speaker).
    func decide(sums: [Double], frames: Int) -> SpeakerDecision {
        let speech = Double(frames) * frameSeconds
        let none = SpeakerDecision(outcome: .noSpeech, speaker: nil, bestSpeaker: nil, score: nil, llr: nil, speechSeconds: speech)
        guard frames > 0, !sums.isEmpty else { return none }
        let best = Identifier.best(sums)
        let d = rule.decide(score: sums[best] / Double(frames), speechSeconds: speech, enrolSeconds: enrolSeconds[best])
        let outcome: TrackingOutcome
        switch d.outcome {
        case .identified: outcome = .identified
        case .accepted: outcome = .accepted
        case .rejected: outcome = .rejected
        case .tooShort: return none
        }
        return SpeakerDecision(
            outcome: outcome, speaker: d.outcome.namesSpeaker ? speakers[best] : nil, bestSpeaker: speakers[best],
            score: d.score, llr: d.llr, speechSeconds: speech)
    }

    /// Each speaker's decision threshold as an average frame score, for a stretch of
    /// `seconds` of speech: what the decoder subtracts from each frame's score so that the
    /// unknown state (score 0) wins where nobody enrolled would be accepted. 0 in a closed set.
    func frameThresholds(seconds: Double) -> [Double] {
        rule.scoreThresholds(enrolSeconds: enrolSeconds, seconds: seconds)
    }
}
