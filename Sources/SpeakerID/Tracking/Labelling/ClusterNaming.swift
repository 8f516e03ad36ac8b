/// An anonymous speaker of a diarization or transcript (`SPEAKER_00`), named as a whole.
public struct NamedCluster: Sendable, Equatable {
    /// The anonymous label it had.
    public var cluster: String
    /// Its label now: the enrolled speaker named, else `unknown-1`, `unknown-2`, ... in the
    /// order the clusters first speak.
    public var label: String
    /// The decision on all its speech pooled. `rejected` with an LLR at or above the threshold
    /// means its best speaker went to another cluster (`speakerTakenBy`).
    public var decision: TurnDecision
    /// Turns pooled.
    public var turns: Int
    /// The cluster that was given this one's best speaker, when that speaker passed the
    /// threshold here too.
    public var speakerTakenBy: String?
}

/// A turn with the label it was given and the decision behind it.
public struct LabelledTurn: Sendable, Equatable {
    public var turn: SpeechTurn
    /// The enrolled speaker, `unknown`, its cluster's `unknown-N`; nil when the turn had too
    /// little speech to decide (it inherits nothing).
    public var label: String?
    /// The turn's own decision, or its cluster's when it was named with its cluster.
    public var decision: TurnDecision
    /// The cluster the turn was named with, if any.
    public var cluster: String?
}

extension SpeakerLabeller {
    /// Names the anonymous speakers of `turns` (those with a `cluster`), each from the sum of
    /// its turns' `evidence`, decided on open-set identification LLRs (`OpenSetIdentification`,
    /// at the rule's prior: a cluster's best speaker must stand out from every other enrolled
    /// speaker and from nobody enrolled): at most one cluster per enrolled speaker, by the
    /// assignment that maximises the total of those LLRs above the threshold over the pairs
    /// that pass it (Hungarian method); clusters left without a speaker are unknown-1,
    /// unknown-2, ...
    public func nameClusters(_ turns: [SpeechTurn], evidence: [SpeechEvidence]) -> [NamedCluster] {
        var order: [String] = []
        var pooled: [String: SpeechEvidence] = [:]
        var count: [String: Int] = [:]
        var firstStart: [String: Double] = [:]
        for (t, e) in zip(turns, evidence) {
            guard let c = t.cluster else { continue }
            if pooled[c] == nil { order.append(c) }
            pooled[c, default: .none] += e
            count[c, default: 0] += 1
            firstStart[c] = min(firstStart[c] ?? .infinity, t.start)
        }
        // Numbered in the order the clusters first speak (ties: as the file lists them).
        order = order.enumerated().sorted { a, b in
            let (x, y) = (firstStart[a.element] ?? 0, firstStart[b.element] ?? 0)
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        // Each cluster's speakers by their open-set identification LLRs: the voice is one of
        // the enrolled speakers with probability `prior`, else nobody enrolled.
        let decisions = order.map { c -> TurnDecision in
            var d = decide(pooled[c] ?? .none)
            d.openSetLLRs = OpenSetIdentification.llrs(d.llrs, prior: rule.costs.prior)
            return d
        }
        let threshold = rule.threshold ?? -.infinity
        let assigned = Self.assignSpeakers(llrs: decisions.map { $0.outcome == .tooShort ? nil : $0.openSetLLRs }, threshold: threshold)
        var clusterOf: [Int: Int] = [:]
        for (i, k) in assigned.enumerated() { if let k { clusterOf[k] = i } }
        var unknown = 0
        return order.indices.map { i in
            var d = decisions[i]
            let k = assigned[i]
            var takenBy: String?
            if let k {
                d.outcome = .accepted
                d.speaker = speakers[k]
                d.llr = d.llrs[k]
                d.openSetLLR = d.openSetLLRs[k]
            } else if d.outcome != .tooShort {
                d.outcome = .rejected
                d.speaker = nil
                if let best = d.bestSpeaker.flatMap(speakers.firstIndex) {
                    d.openSetLLR = d.openSetLLRs[best]
                    if let other = clusterOf[best], d.openSetLLRs[best] >= threshold { takenBy = order[other] }
                }
            }
            let label: String
            if let s = d.speaker {
                label = s
            } else {
                unknown += 1
                label = TrackedSegment.unknownLabel(cluster: unknown)
            }
            return NamedCluster(cluster: order[i], label: label, decision: d, turns: count[order[i]] ?? 0, speakerTakenBy: takenBy)
        }
    }

    /// Labels `turns`: a turn of a cluster in `clusters` gets the cluster's label, any other its
    /// own decision on `evidence` (nil entries only for clustered turns): the speaker named,
    /// `unknown`, or no label when it had too little speech.
    public func label(_ turns: [SpeechTurn], evidence: [SpeechEvidence?], clusters: [NamedCluster]) -> [LabelledTurn] {
        let byName = Dictionary(clusters.map { ($0.cluster, $0) }, uniquingKeysWith: { a, _ in a })
        return turns.enumerated().map { i, t in
            if let c = t.cluster.flatMap({ byName[$0] }) {
                return LabelledTurn(turn: t, label: c.label, decision: c.decision, cluster: c.cluster)
            }
            let d = decide(i < evidence.count ? evidence[i] ?? .none : .none)
            let label = d.speaker ?? (d.outcome == .tooShort ? nil : TrackedSegment.unknownLabel(cluster: nil))
            return LabelledTurn(turn: t, label: label, decision: d, cluster: nil)
        }
    }

    /// Labels `turns` of the recording `audio` (read from `turnsFile`, named in messages):
    /// clusters named as wholes, other turns one by one.
    public func label(
        _ turns: [SpeechTurn], in audio: String, turnsFile: String, raw: RawAudioFormat? = nil, threads: Int = 1
    ) async throws -> (turns: [LabelledTurn], clusters: [NamedCluster]) {
        let evidence = try await self.evidence(of: turns, in: audio, turnsFile: turnsFile, raw: raw, threads: threads)
        let clusters = nameClusters(turns, evidence: evidence)
        return (label(turns, evidence: evidence, clusters: clusters), clusters)
    }

    /// The speaker given to each cluster (nil: none), from each cluster's LLRs for every
    /// speaker (nil for a cluster that cannot be named): at most one cluster per speaker, only
    /// pairs whose LLR reaches `threshold`, and among such assignments the one with the highest
    /// total LLR above the threshold (Hungarian method on the LLRs less the threshold, with an
    /// "unknown" column of gain 0 per cluster).
    public static func assignSpeakers(llrs: [[Double]?], threshold: Double) -> [Int?] {
        let n = llrs.count
        guard n > 0, let m = llrs.compactMap({ $0?.count }).max(), m > 0 else { return [Int?](repeating: nil, count: n) }
        let forbidden = -1e12
        let offset = threshold.isFinite ? threshold : 0
        let gain = llrs.map { row -> [Double] in
            (0..<m).map { k -> Double in
                guard let row, k < row.count, row[k].isFinite, row[k] >= threshold else { return forbidden }
                return row[k] - offset
            } + [Double](repeating: 0, count: n)
        }
        return Assignment.maximize(gain).enumerated().map { i, column in
            guard let k = column, k < m, gain[i][k] > forbidden / 2 else { return nil }
            return k
        }
    }
}
