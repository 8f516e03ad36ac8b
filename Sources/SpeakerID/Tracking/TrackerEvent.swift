/// A segment of a timeline: who spoke from `start` to `end` (seconds from the beginning of
/// the recording or stream).
public struct TrackedSegment: Sendable, Equatable {
    public var start: Double
    public var end: Double
    /// The timeline's label: the enrolled speaker's name, `unknown`, or with clustering
    /// `unknown-1`, `unknown-2`, ...
    public var label: String
    /// The decision and the figures behind it (`speaker` is nil for unknown speech).
    public var decision: SpeakerDecision

    /// A segment from `start` to `end` seconds with its label and the decision behind it.
    public init(start: Double, end: Double, label: String, decision: SpeakerDecision) {
        self.start = start
        self.end = end
        self.label = label
        self.decision = decision
    }

    /// The label unknown speech gets (`unknown`, or `unknown-N` for cluster N).
    public static func unknownLabel(cluster: Int?) -> String { cluster.map { "unknown-\($0)" } ?? "unknown" }

    /// Whether `name` reads like a label of unknown speech, which an enrolled name must not.
    public static func isReservedLabel(_ name: String) -> Bool { SpeakerName.isUnknownLabel(name) }
}

/// A live decision about the newest stretch of a stream.
public struct LiveDecision: Sendable, Equatable {
    /// The window decided on, in seconds from the start of the stream.
    public var start: Double
    public var end: Double
    /// The label it would get in a timeline (nil without speech).
    public var label: String?
    public var decision: SpeakerDecision
}

/// What a tracker reports as audio comes in.
public enum TrackerEvent: Sendable, Equatable {
    /// A decision about the newest window, every hop.
    case live(LiveDecision)
    /// A segment of the timeline that has closed: it will not change.
    case segment(TrackedSegment)
}
