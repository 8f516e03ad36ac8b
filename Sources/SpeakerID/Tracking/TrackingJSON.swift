import Foundation

/// The JSON objects `speakerid track --json` prints (one per recording, or with `--stream` one
/// per live decision, closed segment and end), made here so the CLI and the server send the
/// same keys and the same bytes. Keys are snake_case; numbers JSON cannot hold are null.
public enum TrackingJSON {
    /// A time or duration: to the millisecond (times fall on 10-ms frames, so no information
    /// is lost), so 1.455 is not 1.4549999999999998; null when not finite.
    public static func seconds(_ t: Double) -> Any {
        guard t.isFinite else { return NSNull() }
        let ms = (t * 1000).rounded()
        return ms.magnitude < 9e15 ? ms / 1000 : t
    }

    /// A score or LLR: null when not finite.
    public static func number(_ x: Double) -> Any { x.isFinite ? x : NSNull() }

    /// The figures behind a decision: `score`, `llr` and `dvector_score` when present.
    static func addFigures(_ d: SpeakerDecision, to o: inout [String: Any]) {
        if let v = d.score { o["score"] = number(v) }
        if let v = d.llr { o["llr"] = number(v) }
        if let v = d.dvectorScore { o["dvector_score"] = number(v) }
    }

    /// A segment of a timeline (`track --json`'s `timeline` entries; with `--stream` it gets
    /// `"event": "segment"`).
    public static func segment(_ s: TrackedSegment) -> [String: Any] {
        var o: [String: Any] = [
            "start_seconds": seconds(s.start), "end_seconds": seconds(s.end), "label": s.label,
            "speaker": s.decision.speaker ?? NSNull(), "decision": s.decision.outcome.rawValue,
            "speech_seconds": seconds(s.decision.speechSeconds),
        ]
        addFigures(s.decision, to: &o)
        return o
    }

    /// A closed segment as `track --stream --json` prints it.
    public static func segmentEvent(_ s: TrackedSegment) -> [String: Any] {
        var o = segment(s)
        o["event"] = "segment"
        return o
    }

    /// A live decision as `track --stream --json` prints it, with the time from the arrival
    /// of its window's last audio to the decision.
    public static func window(_ d: LiveDecision, latency: Double) -> [String: Any] {
        var o: [String: Any] = [
            "event": "window", "start_seconds": seconds(d.start), "end_seconds": seconds(d.end), "label": d.label ?? NSNull(),
            "speaker": d.decision.speaker ?? NSNull(), "decision": d.decision.outcome.rawValue,
            "speech_seconds": seconds(d.decision.speechSeconds), "latency_seconds": seconds(latency),
        ]
        addFigures(d.decision, to: &o)
        return o
    }

    /// The last object of a stream.
    public static func end(file: String, durationSeconds: Double, speechSeconds: Double) -> [String: Any] {
        ["event": "end", "file": file, "duration_seconds": seconds(durationSeconds), "speech_seconds": seconds(speechSeconds)]
    }

    /// One recording's timeline as `track --json` prints it.
    public static func recording(_ r: TrackingResult, system: String, warning: String?) -> [String: Any] {
        var o: [String: Any] = [
            "file": r.name, "duration_seconds": seconds(r.duration), "speech_seconds": seconds(r.speechSeconds),
            "timeline": r.segments.map(segment), "system": system,
        ]
        if let warning { o["warning"] = warning }
        return o
    }

    /// `object` as one line of JSON, keys sorted (as the CLI prints it); nil when a number in
    /// it cannot be written.
    public static func line(_ object: [String: Any]) -> String? {
        guard JSONSerialization.isValidJSONObject(object), let d = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return nil }
        return String(decoding: d, as: UTF8.self)
    }
}

/// The arrival times of a stream's audio, for the latency of its live decisions: the time
/// from the arrival of the last sample a decision's window needed to the decision.
public struct ArrivalClock: Sendable {
    private var arrivals: [(samples: Int, time: Date)] = []
    private var received = 0
    /// The stream's sample rate (samples a second).
    public let sampleRate: Int

    /// A clock for a stream of `sampleRate` samples a second, nothing arrived yet.
    public init(sampleRate: Int) { self.sampleRate = sampleRate }

    /// `count` more samples arrived now.
    public mutating func arrived(_ count: Int, at time: Date = Date()) {
        received += count
        arrivals.append((received, time))
    }

    /// Seconds since the audio up to `end` seconds arrived.
    public mutating func latency(endingAt end: Double, now: Date = Date()) -> Double {
        let k = Int((end * Double(sampleRate)).rounded(.down))
        while arrivals.count > 1 && arrivals[0].samples < k { arrivals.removeFirst() }
        return arrivals.first.map { now.timeIntervalSince($0.time) } ?? 0
    }
}
