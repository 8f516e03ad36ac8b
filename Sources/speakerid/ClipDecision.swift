/// What `identify` and `verify` answer for one clip.
enum ClipDecision: String {
    /// Closed set: the best-scoring speaker is named.
    case identified
    /// The score reached the threshold.
    case accepted
    /// The score fell below the threshold (identify: nobody enrolled, "<unknown>").
    case rejected
    /// Less speech than `--min-speech`: no speaker is named.
    case tooShort = "too_short"

    /// Seconds of speech below which no speaker is named. Measured: the 50-ms clip of the
    /// bad-input catalogue (4 frames) out-scored every genuine clip; the shortest spoken digits
    /// of fsdd hold 0.16-0.25 s of speech, and 99% of them at least 0.23 s.
    static let defaultMinimumSpeech = 0.2

    /// How the text output shows it: a form no speaker name can take (names cannot begin with '<').
    func text(speaker: String) -> String {
        switch self {
        case .identified, .accepted: return speaker
        case .rejected: return "<unknown>"
        case .tooShort: return "<too short>"
        }
    }
}
