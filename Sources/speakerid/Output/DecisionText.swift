import SpeakerID

extension DecisionOutcome {
    /// How identify's text output shows the decision: the speaker, or a form no speaker name
    /// can take (names cannot begin with '<').
    func text(speaker: String) -> String {
        switch self {
        case .identified, .accepted: return speaker
        case .rejected: return "<unknown>"
        case .tooShort: return "<too short>"
        }
    }
}
