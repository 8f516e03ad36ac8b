/// Verification performance from target and non-target trial scores.
///
/// - EER: the rate at which misses equal false alarms, linearly interpolated between the
///   two thresholds that bracket the crossing.
/// - minDCF: the minimum over thresholds of C_miss P_miss P_target + C_fa P_fa (1 - P_target),
///   divided by min(C_miss P_target, C_fa (1 - P_target)) (the cost of the best decision made
///   without looking at the score), as NIST SRE reports it. Defaults are SRE 2008's: C_miss =
///   10, C_fa = 1, P_target = 0.01.
/// - DET points: the empirical ("steppy", as BOSARIS's `plot_steppy_det`) curve of (P_fa, P_miss,
///   threshold) at every distinct threshold, from accepting every trial (1, 0) to rejecting every
///   trial (0, 1). Points that lie on a straight run, or within `detTolerance` normal deviates
///   (probit space) of the last point kept, are left out, so the list stays small for millions of
///   trials while the polyline through it stays within `detTolerance` of the full curve. The two
///   points bracketing the EER crossing, a few of their neighbours and the minDCF point are
///   always kept, so the polyline passes through (EER, EER).
public struct DetectionMetrics: Sendable, Equatable {
    public var eer: Double
    public var eerThreshold: Double
    public var minDCF: Double
    public var minDCFThreshold: Double
    /// The operating point where the detection cost is `minDCF`.
    public var minDCFPoint: DETPoint
    public var targets: Int
    public var nonTargets: Int
    public var det: [DETPoint]

    /// One operating point: false-alarm and miss probabilities at a threshold.
    public struct DETPoint: Sendable, Equatable {
        public var falseAlarm: Double
        public var miss: Double
        /// Trials scoring at or above it are accepted.
        public var threshold: Double
    }

    /// Costs and prior of the detection cost function (NIST SRE 2008 by default).
    public struct CostModel: Sendable {
        public var cMiss = 10.0, cFalseAlarm = 1.0, pTarget = 0.01
        /// NIST SRE 2008 costs.
        public init() {}
    }

    /// Operating points kept unthinned on each side of the EER crossing.
    static let eerNeighbours = 4

    /// nil when either list is empty. `detTolerance` is in normal deviates; the report's DET
    /// chart draws about 100 pixels per deviate, so the default is half a pixel.
    public init?(targets tar: [Double], nonTargets non: [Double], cost: CostModel = CostModel(), detTolerance: Double = 0.005) {
        guard !tar.isEmpty, !non.isEmpty else { return nil }
        let curve = Self.operatingPoints(targets: tar, nonTargets: non)
        let crossing = Self.equalErrorRate(curve)
        let best = Self.minimumCost(curve, cost: cost)
        eer = crossing.eer
        eerThreshold = crossing.threshold
        minDCF = best.cost
        minDCFThreshold = curve[best.index].threshold
        minDCFPoint = curve[best.index]
        targets = tar.count
        nonTargets = non.count
        let near = max(0, crossing.index - 1 - Self.eerNeighbours)...min(curve.count - 1, crossing.index + Self.eerNeighbours)
        det = Self.thinned(curve, keeping: { near.contains($0) || $0 == best.index }, tolerance: detTolerance)
    }

    /// (P_fa, P_miss) at every distinct threshold, accepting scores at or above it: first every
    /// trial accepted (1, 0) at the lowest score, last none (0, 1) just above the highest.
    static func operatingPoints(targets tar: [Double], nonTargets non: [Double]) -> [DETPoint] {
        var all = tar.map { ($0, true) } + non.map { ($0, false) }
        all.sort { $0.0 < $1.0 }
        let nt = Double(tar.count), nn = Double(non.count)
        // At threshold just above index i-1: misses = targets below, false alarms = non-targets at or above.
        var misses = 0.0, fas = nn
        var curve = [DETPoint(falseAlarm: 1, miss: 0, threshold: all[0].0)]
        var i = 0
        while i < all.count {
            let v = all[i].0
            while i < all.count && all[i].0 == v {
                if all[i].1 { misses += 1 } else { fas -= 1 }
                i += 1
            }
            let next = i < all.count ? all[i].0 : v.nextUp
            curve.append(DETPoint(falseAlarm: fas / nn, miss: misses / nt, threshold: next))
        }
        return curve
    }

    /// The EER, its threshold, and the index of the first point at or past the crossing (the
    /// crossing lies on the segment from `index - 1` to `index`), by linear interpolation where
    /// P_miss - P_fa changes sign.
    static func equalErrorRate(_ curve: [DETPoint]) -> (eer: Double, threshold: Double, index: Int) {
        for j in 1..<curve.count {
            let a = curve[j - 1], b = curve[j]
            let da = a.miss - a.falseAlarm, db = b.miss - b.falseAlarm
            if da <= 0 && db >= 0 {
                let f = db - da != 0 ? -da / (db - da) : 0
                let pfa = a.falseAlarm + f * (b.falseAlarm - a.falseAlarm)
                let pmiss = a.miss + f * (b.miss - a.miss)
                return ((pfa + pmiss) / 2, a.threshold + f * (b.threshold - a.threshold), j)
            }
        }
        // Unreachable: the curve runs from (1, 0) to (0, 1).
        return (0.5, curve[0].threshold, 0)
    }

    /// The lowest normalised detection cost over the curve and the index of its (first) point.
    static func minimumCost(_ curve: [DETPoint], cost: CostModel) -> (cost: Double, index: Int) {
        let norm = min(cost.cMiss * cost.pTarget, cost.cFalseAlarm * (1 - cost.pTarget))
        var best = Double.infinity, index = 0
        for (i, p) in curve.enumerated() {
            let c = (cost.cMiss * p.miss * cost.pTarget + cost.cFalseAlarm * p.falseAlarm * (1 - cost.pTarget)) / norm
            if c < best {
                best = c
                index = i
            }
        }
        return (best, index)
    }

    /// Probabilities this close to 0 or 1 are treated as the limit in probit space.
    static let probitFloor = 1e-10

    /// The normal deviate of `p`, with 0 and 1 clipped to finite values.
    static func probit(_ p: Double) -> Double {
        inverseNormalCDF(min(max(p, probitFloor), 1 - probitFloor))
    }

    /// The curve without points that do not change its drawn shape: points inside a horizontal
    /// or vertical run, and points within `tolerance` (probit space) of the last point kept. The
    /// first and last points and those `keep` accepts are always kept. The polyline through the
    /// result is within `tolerance` of the full curve's.
    static func thinned(_ curve: [DETPoint], keeping keep: (Int) -> Bool, tolerance: Double) -> [DETPoint] {
        guard curve.count > 2 else { return curve }
        var out = [curve[0]]
        var last = (x: probit(curve[0].falseAlarm), y: probit(curve[0].miss))
        for i in 1..<(curve.count - 1) {
            let p = curve[i]
            let prev = curve[i - 1], next = curve[i + 1]
            let onRun =
                (prev.falseAlarm == p.falseAlarm && p.falseAlarm == next.falseAlarm)
                || (prev.miss == p.miss && p.miss == next.miss)
            let here = (x: probit(p.falseAlarm), y: probit(p.miss))
            let far = ((here.x - last.x) * (here.x - last.x) + (here.y - last.y) * (here.y - last.y)).squareRoot() > tolerance
            if keep(i) || (!onRun && far) {
                out.append(p)
                last = here
            }
        }
        out.append(curve[curve.count - 1])
        return out
    }
}

/// Encoded as `eer`, `min_dcf`, `eer_threshold`, `verification_trials` (`{target,
/// non_target}`) and the thinned `det` points, each `{p_fa, p_miss, threshold}`; numbers that
/// are not finite as null.
extension DetectionMetrics: Encodable {
    enum CodingKeys: String, CodingKey {
        case eer
        case minDCF = "min_dcf"
        case eerThreshold = "eer_threshold"
        case verificationTrials = "verification_trials"
        case det
    }

    enum TrialCountKeys: String, CodingKey {
        case targets = "target"
        case nonTargets = "non_target"
    }

    /// Writes the figures under their JSON keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNumber(eer, forKey: .eer)
        try c.encodeNumber(minDCF, forKey: .minDCF)
        try c.encodeNumber(eerThreshold, forKey: .eerThreshold)
        var counts = c.nestedContainer(keyedBy: TrialCountKeys.self, forKey: .verificationTrials)
        try counts.encode(targets, forKey: .targets)
        try counts.encode(nonTargets, forKey: .nonTargets)
        try c.encode(det, forKey: .det)
    }
}

extension DetectionMetrics.DETPoint: Encodable {
    enum CodingKeys: String, CodingKey {
        case falseAlarm = "p_fa"
        case miss = "p_miss"
        case threshold
    }

    /// Writes the point under its JSON keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNumber(falseAlarm, forKey: .falseAlarm)
        try c.encodeNumber(miss, forKey: .miss)
        try c.encodeNumber(threshold, forKey: .threshold)
    }
}
