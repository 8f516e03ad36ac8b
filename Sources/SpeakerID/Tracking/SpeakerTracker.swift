/// The timeline of one recording.
public struct TrackingResult: Sendable, Equatable {
    public var name: String
    /// Who spoke when, in time order.
    public var segments: [TrackedSegment]
    /// The recording's duration and seconds of speech scored.
    public var duration: Double
    public var speechSeconds: Double
    /// The audio's own sample rate, before resampling.
    public var sourceSampleRate: Int
}

/// Speaker tracking of whole recordings: a `StreamingTracker` fed from a file block by block,
/// so a recording of any length is tracked in the same constant memory.
public enum SpeakerTracker {
    /// Who spoke when in `source` (segments decided by the speaker encoder with
    /// `encoderScoring`). `onSegment` sees each segment as it closes (for writing
    /// long timelines as they come); the result holds them all. `onProgress` sees the
    /// fraction of the recording read so far (0-1) after each block.
    public static func track(
        _ source: AudioSource, raw: RawAudioFormat? = nil, identifier: Identifier, rule: DecisionRule,
        options: TrackerOptions = TrackerOptions(), encoderScoring: EncoderSegmentScoring? = nil,
        onSegment: (TrackedSegment) -> Void = { _ in }, onProgress: (Double) -> Void = { _ in }
    ) throws -> TrackingResult {
        let decoder = try AudioDecoder(source, raw: raw)
        var options = options
        options.liveDecisions = false
        let tracker = try StreamingTracker(
            identifier: identifier, rule: rule, options: options,
            sourceSampleRate: decoder.info.sampleRate, name: decoder.name, encoderScoring: encoderScoring)
        var segments: [TrackedSegment] = []
        var block: [Float] = []
        func collect(_ events: [TrackerEvent]) {
            for case .segment(let s) in events {
                segments.append(s)
                onSegment(s)
            }
        }
        let total = decoder.info.duration
        while try decoder.readBlock(into: &block) {
            collect(try tracker.push(block))
            if total > 0 { onProgress(min(1, tracker.secondsReceived / total)) }
        }
        collect(try tracker.finish())
        let duration = tracker.secondsReceived
        let frame = Double(identifier.frontEnd.options.framing.frameLength) / Double(identifier.frontEnd.options.framing.sampleRate)
        if duration < frame { throw FeatureError.tooShort(decoder.name, seconds: duration, frameSeconds: frame) }
        return TrackingResult(
            name: decoder.name, segments: segments, duration: duration,
            speechSeconds: tracker.speechSeconds, sourceSampleRate: decoder.info.sampleRate)
    }
}
