/// Durations of speech scored right and wrong, summed over the scored time.
public struct ErrorComponents: Sendable, Equatable {
    /// Reference speech scored: each reference speaker counted (overlap counts twice).
    public var total = 0.0
    public var correct = 0.0
    /// Speech attributed to another speaker.
    public var confusion = 0.0
    /// Reference speech with no (or too few) hypothesis speakers.
    public var missed = 0.0
    /// Hypothesis speech beyond the reference speakers.
    public var falseAlarm = 0.0

    /// Nothing scored yet.
    public init() {}

    /// (confusion + missed + false alarm) / total; with no reference speech, 0 without errors
    /// and 1 with any (as pyannote.metrics does).
    public var errorRate: Double {
        let errors = confusion + missed + falseAlarm
        return total > 0 ? errors / total : errors > 0 ? 1 : 0
    }

    /// Pools `b` into `a` (durations add).
    public static func += (a: inout ErrorComponents, b: ErrorComponents) {
        a.total += b.total
        a.correct += b.correct
        a.confusion += b.confusion
        a.missed += b.missed
        a.falseAlarm += b.falseAlarm
    }
}

/// A timeline scored against its reference.
public struct TrackingScore: Sendable, Equatable {
    /// Diarization error: hypothesis labels mapped one-to-one onto reference labels to
    /// maximise their overlap first (the names do not matter).
    public var diarization = ErrorComponents()
    /// Identification error: labels compared as they are (the names must be right).
    public var identification = ErrorComponents()
    /// Reference speech labelled unknown (scored time), and how much of it the hypothesis
    /// labelled unknown (`unknown` or `unknown-N`) or an enrolled name.
    public var unknownSeconds = 0.0
    public var unknownLabelledUnknown = 0.0
    public var unknownLabelledEnrolled = 0.0

    /// Nothing scored yet.
    public init() {}

    /// Pools `b` into `a`: the recordings' durations add, so rates are pooled, not averaged.
    public static func += (a: inout TrackingScore, b: TrackingScore) {
        a.diarization += b.diarization
        a.identification += b.identification
        a.unknownSeconds += b.unknownSeconds
        a.unknownLabelledUnknown += b.unknownLabelledUnknown
        a.unknownLabelledEnrolled += b.unknownLabelledEnrolled
    }
}

/// Diarization and identification error rates as pyannote.metrics computes them (its
/// `DiarizationErrorRate` and `IdentificationErrorRate`, overlap scored): the evaluated time
/// is the extent of reference and hypothesis less a collar around every reference boundary;
/// in each stretch where the speakers present do not change, with R reference and H hypothesis
/// speakers of which C match, C is correct, min(R, H) - C confusion, max(0, R - H) missed and
/// max(0, H - R) false alarm, each times the stretch's duration. Scores of several recordings
/// are pooled by adding their components (`+=`), not by averaging rates.
public enum TrackingMetrics {
    /// Scores one recording's `hypothesis` against its `reference`, with `collar` seconds
    /// removed on each side of every reference boundary (pyannote's `collar` is twice this:
    /// the whole width). `unknownLabel` is the reference's label for speakers nobody enrolled.
    public static func score(
        reference: [RTTMSegment], hypothesis: [RTTMSegment], collar: Double,
        unknownLabel: String = "unknown"
    ) -> TrackingScore {
        let ref = reference.filter { $0.duration > 0 }, hyp = hypothesis.filter { $0.duration > 0 }
        var out = TrackingScore()
        let all = ref + hyp
        guard let lo = all.map(\.start).min(), let hi = all.map(\.end).max() else { return out }
        // The evaluated time: [lo, hi] less the collars.
        var collars: [(Double, Double)] = []
        if collar > 0 {
            for s in ref {
                collars.append((s.start - collar, s.start + collar))
                collars.append((s.end - collar, s.end + collar))
            }
        }
        let evaluated = subtract(from: (lo, hi), merged(collars))
        // Elementary stretches: between consecutive boundaries of segments and evaluated time.
        var cuts = Set<Double>()
        for s in all {
            cuts.insert(s.start)
            cuts.insert(s.end)
        }
        for (a, b) in evaluated {
            cuts.insert(a)
            cuts.insert(b)
        }
        let times = cuts.sorted()
        let refLabels = Array(Set(ref.map(\.label))).sorted(), hypLabels = Array(Set(hyp.map(\.label))).sorted()
        let refIndex = Dictionary(uniqueKeysWithValues: refLabels.enumerated().map { ($1, $0) })
        let hypIndex = Dictionary(uniqueKeysWithValues: hypLabels.enumerated().map { ($1, $0) })
        struct Stretch {
            var duration: Double
            var r: [Int: Int]
            var h: [Int: Int]
        }
        var stretches: [Stretch] = []
        var e = 0
        for k in 0..<max(0, times.count - 1) {
            let a = times[k], b = times[k + 1], mid = (a + b) / 2
            while e < evaluated.count && evaluated[e].1 <= mid { e += 1 }
            guard e < evaluated.count, evaluated[e].0 <= mid else { continue }
            var r: [Int: Int] = [:], h: [Int: Int] = [:]
            for s in ref where s.start <= mid && mid < s.end { if let j = refIndex[s.label] { r[j, default: 0] += 1 } }
            for s in hyp where s.start <= mid && mid < s.end { if let i = hypIndex[s.label] { h[i, default: 0] += 1 } }
            if r.isEmpty && h.isEmpty { continue }
            stretches.append(Stretch(duration: b - a, r: r, h: h))
        }
        // Identification: hypothesis label i matches reference label j when the names are equal;
        // the labels of unknown speech (`unknown`, and `unknown-N` of a speaker named as a
        // cluster) all match the reference's unknown label: each says "nobody enrolled".
        let unknownIndex = refIndex[unknownLabel]
        let sameName = hypLabels.map { isUnknown($0) ? unknownIndex : refIndex[$0] }
        // Diarization: the one-to-one mapping of hypothesis onto reference labels with the most
        // co-occurring time (only pairs that co-occur at all).
        var cooccurrence = [[Double]](repeating: [Double](repeating: 0, count: refLabels.count), count: hypLabels.count)
        for s in stretches {
            for (i, hi) in s.h { for (j, rj) in s.r { cooccurrence[i][j] += s.duration * Double(hi * rj) } }
        }
        let mapped =
            hypLabels.isEmpty || refLabels.isEmpty
            ? [Int?](repeating: nil, count: hypLabels.count)
            : Assignment.maximize(cooccurrence).enumerated().map { i, j in j.flatMap { cooccurrence[i][$0] > 0 ? $0 : nil } }
        for s in stretches {
            out.diarization += components(s.duration, r: s.r, h: s.h, match: mapped)
            out.identification += components(s.duration, r: s.r, h: s.h, match: sameName)
            if let u = unknownIndex, s.r[u] != nil {
                out.unknownSeconds += s.duration
                let labels = s.h.keys.map { hypLabels[$0] }
                if labels.contains(where: isUnknown) {
                    out.unknownLabelledUnknown += s.duration
                } else if !labels.isEmpty {
                    out.unknownLabelledEnrolled += s.duration
                }
            }
        }
        return out
    }

    /// Whether a hypothesis label marks unknown speech (`unknown`, `unknown-N`).
    static func isUnknown(_ label: String) -> Bool { TrackedSegment.isReservedLabel(label) }

    /// One stretch's components: the most matches a one-to-one pairing of its reference and
    /// hypothesis speakers allows (`match[i]`: the reference label hypothesis label i matches).
    static func components(_ d: Double, r: [Int: Int], h: [Int: Int], match: [Int?]) -> ErrorComponents {
        let nr = r.values.reduce(0, +), nh = h.values.reduce(0, +)
        var matchedByRef: [Int: Int] = [:]
        for (i, count) in h { if let j = match[i] { matchedByRef[j, default: 0] += count } }
        // Distinct hypothesis labels map to distinct reference labels, so matches add up per reference label.
        let correct = matchedByRef.reduce(0) { $0 + min($1.value, r[$1.key] ?? 0) }
        var c = ErrorComponents()
        c.total = d * Double(nr)
        c.correct = d * Double(correct)
        c.confusion = d * Double(min(nr, nh) - correct)
        c.missed = d * Double(max(0, nr - nh))
        c.falseAlarm = d * Double(max(0, nh - nr))
        return c
    }

    /// Overlapping intervals merged, in order.
    static func merged(_ intervals: [(Double, Double)]) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        for (a, b) in intervals.sorted(by: { $0.0 < $1.0 }) {
            if let last = out.last, a <= last.1 { out[out.count - 1].1 = max(last.1, b) } else { out.append((a, b)) }
        }
        return out
    }

    /// `span` less the (merged, sorted) `holes`.
    static func subtract(from span: (Double, Double), _ holes: [(Double, Double)]) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        var start = span.0
        for (a, b) in holes where b > start && a < span.1 {
            if a > start { out.append((start, a)) }
            start = max(start, b)
        }
        if start < span.1 { out.append((start, span.1)) }
        return out
    }
}
