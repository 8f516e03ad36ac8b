/// Which system scores a clip against the enrolled speakers.
public enum ScoringSystem: String, Sendable, CaseIterable, Codable {
    /// The MAP-adapted (or EM-trained) GMMs: average log-likelihood (ratio) scores.
    case gmm
    /// The neural speaker encoder: the cosine of the clip's embedding with each speaker's
    /// d-vector.
    case dvector
    /// Both, fused: a calibration's linear logistic-regression combination of the two systems'
    /// calibrated LLRs (needs the UBM, the encoder and a fusion calibration).
    case fusion
}
