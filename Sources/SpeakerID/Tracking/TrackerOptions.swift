/// How speaker tracking segments and labels a recording. Times are in seconds; scores are in
/// the units of the frame scores (log-likelihood ratios against the UBM, summed over frames).
/// The defaults were chosen on development conversations built from minilibri's enrolment
/// split, never on the benchmark (README, "Who spoke when").
public struct TrackerOptions: Sendable, Equatable, Codable {
    /// The decoder's block: speaker changes are placed on multiples of it.
    public var stepSeconds = 0.1
    /// A speaker, once the decoder changes to them, keeps the floor at least this long.
    public var minimumTurnSeconds = 1.0
    /// Cost of a change of speaker inside speech, in summed frame scores.
    public var changePenalty = 60.0
    /// Cost of a change of speaker at the first speech after a pause of at least `pauseSeconds`.
    public var pausePenalty = 20.0
    public var pauseSeconds = 0.2
    /// Cost of a change where the BIC change detector found one.
    public var changePointPenalty = 60.0
    /// Decisions are committed this long after the audio (the decoder's lag).
    public var lagSeconds = 10.0
    /// Pauses up to this long inside one speaker's turn are part of the segment.
    public var maximumGapSeconds = 2.0
    /// Segments with less speech than this are left out (clicks, breaths).
    public var minimumSegmentSpeechSeconds = 0.1
    /// With the speaker encoder, where a pause splits segments: seconds each segment is widened
    /// into the pauses beside it (never past a pause's middle).
    public var paddingSeconds = 0.25
    /// Whether live decisions are made every `hopSeconds` (a whole recording's timeline, which
    /// has no use for them, is made without: with the speaker encoder they cost most of the time).
    public var liveDecisions = true
    /// Speech detection: the window around a frame that the loudest frame and the noise level
    /// are measured over, and how far above the noise level speech must be.
    public var speechWindowBackSeconds = 30.0
    public var speechWindowAheadSeconds = 0.1
    public var speechSNRDB = 6.0
    public var noisePercentile = 0.05
    /// Cepstral mean normalisation over the speech from this long before a frame to this long
    /// after it.
    public var normalizationBackSeconds = 2.0
    public var normalizationAheadSeconds = 0.5
    /// ... and not across pauses at least this long (0: across any pause).
    public var normalizationBreakSeconds = 0.0
    /// Added to the unknown speaker's per-frame score in the decoder (which is the decision
    /// threshold expressed per frame): positive labels more speech unknown.
    public var unknownOffset = 0.0
    /// The test duration the per-frame unknown score is worked out at, for a calibration that
    /// depends on duration.
    public var unknownReferenceSeconds = 2.0
    /// BIC speaker-change detection: two adjacent windows this long, penalty weight lambda.
    public var changeWindowSeconds = 1.0
    public var changeLambda = 1.0
    /// Clusters unknown speech into unknown-1, unknown-2, ... (BIC, penalty weight lambda).
    public var clusterUnknown = false
    public var clusterLambda = 2.0
    /// At most this many unknown speakers are told apart; later ones join the nearest.
    public var maximumUnknownSpeakers = 50
    /// Live decisions: every `hopSeconds`, about the newest `liveWindowSeconds`.
    public var liveWindowSeconds = 1.0
    public var hopSeconds = 0.5
    /// Speech below which a live window is answered "no speech".
    public var liveMinimumSpeechSeconds = 0.2

    /// The defaults above.
    public init() {}

    /// Refuses values that make no sense, naming the option.
    public func validate() throws(TrackingError) {
        func positive(_ v: Double, _ name: String, max: Double = 86_400) throws(TrackingError) {
            if !(v > 0 && v <= max) { throw .invalidOption("\(name) must be above 0 and at most \(max) seconds; got \(v)") }
        }
        func nonNegative(_ v: Double, _ name: String, max: Double = 86_400) throws(TrackingError) {
            if !(v >= 0 && v <= max) { throw .invalidOption("\(name) must be between 0 and \(max); got \(v)") }
        }
        try positive(stepSeconds, "the decoder step", max: 10)
        try nonNegative(minimumTurnSeconds, "the minimum turn", max: 600)
        try nonNegative(pauseSeconds, "the pause before a cheaper change", max: 600)
        try positive(lagSeconds, "the lag", max: 3600)
        try nonNegative(maximumGapSeconds, "the longest gap inside a turn", max: 600)
        try nonNegative(minimumSegmentSpeechSeconds, "the shortest segment", max: 600)
        try nonNegative(paddingSeconds, "the segment padding", max: 60)
        try nonNegative(speechWindowBackSeconds, "the speech-detection window", max: 3600)
        try nonNegative(speechWindowAheadSeconds, "the speech-detection look-ahead", max: 60)
        try nonNegative(normalizationBackSeconds, "the normalisation window", max: 3600)
        try nonNegative(normalizationAheadSeconds, "the normalisation look-ahead", max: 60)
        try nonNegative(normalizationBreakSeconds, "the pause that ends a normalisation window", max: 600)
        try positive(changeWindowSeconds, "the change-detection window", max: 60)
        try positive(liveWindowSeconds, "the live window", max: 600)
        try positive(hopSeconds, "the hop", max: 600)
        try nonNegative(liveMinimumSpeechSeconds, "the live window's minimum speech", max: 600)
        try positive(unknownReferenceSeconds, "the unknown reference duration", max: 3600)
        for (v, name) in [
            (changePenalty, "the change penalty"), (pausePenalty, "the pause penalty"),
            (changePointPenalty, "the change-point penalty"), (speechSNRDB, "the speech SNR"),
            (changeLambda, "the change-detection lambda"), (clusterLambda, "the clustering lambda"),
        ] {
            try nonNegative(v, name, max: 1e9)
        }
        if !unknownOffset.isFinite { throw .invalidOption("the unknown offset must be a finite number") }
        if !(noisePercentile >= 0 && noisePercentile < 1) { throw .invalidOption("the noise percentile must be in [0, 1); got \(noisePercentile)") }
        if !(1...10_000).contains(maximumUnknownSpeakers) { throw .invalidOption("the number of unknown speakers must be 1-10000") }
        if liveWindowSeconds > lagSeconds + 600 { throw .invalidOption("the live window must be shorter than the lag plus 600 s") }
    }
}

/// Why a recording cannot be tracked or a tracking file read.
public enum TrackingError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidOption(String)
    /// The models' front end normalises in a way a stream cannot (feature warping).
    case unsupportedNormalization(String)
    /// A speaker name a timeline could not tell from unknown speech.
    case reservedName(String)
    /// An RTTM file: the file, line number and what is wrong.
    case badRTTM(String, line: Int, reason: String)
    case unreadable(String, reason: String)

    public var description: String {
        switch self {
        case .invalidOption(let s): return s
        case .unsupportedNormalization(let s): return s
        case .reservedName(let n):
            return
                "a speaker is enrolled as \(n.debugDescription), which a timeline could not tell from unknown speech (\"unknown\", \"unknown-1\", ...); enrol them under another name"
        case .badRTTM(let f, let l, let r): return "\(f):\(l): \(r)"
        case .unreadable(let f, let r): return "\(f): \(r)"
        }
    }
}
