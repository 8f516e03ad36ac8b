import Foundation

/// The open-set decision a tracker makes on a stretch of speech.
public enum OpenSetRule: Sendable {
    /// Every stretch of speech is named (the best-scoring enrolled speaker).
    case closedSet
    /// Named when the best speaker's average frame score reaches the threshold.
    case scoreThreshold(Double)
    /// Named when the calibrated log-likelihood ratio of the best speaker's average score
    /// (with the stretch's speech duration, for a calibration that uses it) reaches the threshold,
    /// usually the Bayes threshold of the prior and costs.
    case calibrated(Calibration, llrThreshold: Double)
}

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
}

/// Makes the open-set decision from summed frame scores, and says what it means per frame for
/// the decoder.
struct SpeechDecider: Sendable {
    let speakers: [String]
    let enrolSeconds: [Double]
    let rule: OpenSetRule
    let frameSeconds: Double

    var openSet: Bool {
        if case .closedSet = rule { return false }
        return true
    }

    /// The decision on `frames` speech frames whose scores summed to `sums` (one per speaker).
    func decide(sums: [Double], frames: Int) -> SpeakerDecision {
        let speech = Double(frames) * frameSeconds
        guard frames > 0, !sums.isEmpty else {
            return SpeakerDecision(outcome: .noSpeech, speaker: nil, bestSpeaker: nil, score: nil, llr: nil, speechSeconds: speech)
        }
        let best = Identifier.best(sums)
        let score = sums[best] / Double(frames)
        var d = SpeakerDecision(outcome: .identified, speaker: speakers[best], bestSpeaker: speakers[best], score: score,
                                llr: nil, speechSeconds: speech)
        switch rule {
        case .closedSet: break
        case .scoreThreshold(let t):
            d.outcome = score >= t ? .accepted : .rejected
        case .calibrated(let c, let t):
            let llr = c.llr(score: score, testSeconds: speech, enrolSeconds: enrolSeconds[best])
            d.llr = llr
            d.outcome = llr >= t ? .accepted : .rejected
        }
        if d.outcome == .rejected { d.speaker = nil }
        return d
    }

    /// Each speaker's decision threshold as an average frame score, for a stretch of
    /// `seconds` of speech: what the decoder subtracts from each frame's score so that the
    /// unknown state (score 0) wins where nobody enrolled would be accepted. 0 in a closed set.
    func frameThresholds(seconds: Double) -> [Double] {
        switch rule {
        case .closedSet: return [Double](repeating: 0, count: speakers.count)
        case .scoreThreshold(let t): return [Double](repeating: t, count: speakers.count)
        case .calibrated(let c, let t):
            // LLR = A s + B at these durations: the score where it meets t.
            return enrolSeconds.map { e in
                let b = c.llr(score: 0, testSeconds: seconds, enrolSeconds: e)
                let a = c.llr(score: 1, testSeconds: seconds, enrolSeconds: e) - b
                return a > 0 ? (t - b) / a : 0
            }
        }
    }
}
