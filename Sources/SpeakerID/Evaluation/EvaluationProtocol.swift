/// How an open-set threshold is chosen on held-out trials.
public enum ThresholdRule: String, Sendable, CaseIterable {
    /// Where misses equal false alarms.
    case eer
    /// Where the SRE 2008 detection cost is lowest (few false alarms: P_target = 0.01).
    case minDCF = "min-dcf"
}

/// Which frames a test segment's normalisation (CMN, warping) is computed over.
public enum SegmentNormalization: String, Sendable, CaseIterable, Codable {
    /// The whole test file's speech frames, then cut into segments (the protocol of Reynolds &
    /// Rose and of the scikit-learn peer: features of a test utterance, segmented).
    case file
    /// The segment's own frames only, as if the segment were a clip of its own: harder.
    case segment
}

/// Why an evaluation cannot run as asked.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unenrolledSpeakers([String])
    case needsUBM(String)
    case noCohort
    case scoreNormalization(String)

    public var description: String {
        switch self {
        case .unenrolledSpeakers(let s):
            return
                "test speakers with no enrolled model: \(s.prefix(10).joined(separator: ", "))\(s.count > 10 ? ", ..." : ""); enrol them first (closed-set identification)"
        case .needsUBM(let what): return "\(what) needs models adapted from a UBM, scored against that UBM"
        case .noCohort: return "score normalisation needs a cohort: utterances of other speakers for Z-norm, models of other speakers for T-norm"
        case .scoreNormalization(let why): return why
        }
    }
}
