/// Verification performance from target and non-target trial scores.
///
/// - EER: the rate at which misses equal false alarms, linearly interpolated between the
///   two thresholds that bracket the crossing.
/// - minDCF: the minimum over thresholds of C_miss P_miss P_target + C_fa P_fa (1 - P_target),
///   divided by min(C_miss P_target, C_fa (1 - P_target)) (the cost of the best decision made
///   without looking at the score), as NIST SRE reports it. Defaults are SRE 2008's: C_miss =
///   10, C_fa = 1, P_target = 0.01.
/// - DET points: (P_fa, P_miss, threshold) at up to `detPoints` thresholds spread over the trials.
public struct DetectionMetrics: Sendable, Equatable {
    public var eer: Double
    public var eerThreshold: Double
    public var minDCF: Double
    public var minDCFThreshold: Double
    public var targets: Int
    public var nonTargets: Int
    public var det: [DETPoint]

    /// One operating point: false-alarm and miss probabilities at a threshold.
    public struct DETPoint: Sendable, Equatable {
        public var falseAlarm: Double
        public var miss: Double
        public var threshold: Double
    }

    /// Costs and prior of the detection cost function (NIST SRE 2008 by default).
    public struct CostModel: Sendable {
        public var cMiss = 10.0, cFalseAlarm = 1.0, pTarget = 0.01
        /// NIST SRE 2008 costs.
        public init() {}
    }

    /// nil when either list is empty.
    public init?(targets tar: [Double], nonTargets non: [Double], cost: CostModel = CostModel(), detPoints: Int = 100) {
        guard !tar.isEmpty, !non.isEmpty else { return nil }
        // Sweep thresholds over all scores in ascending order: accept when score >= threshold.
        var all = tar.map { ($0, true) } + non.map { ($0, false) }
        all.sort { $0.0 < $1.0 }
        let nt = Double(tar.count), nn = Double(non.count)
        // At threshold just above index i-1: misses = targets below, false alarms = non-targets at or above.
        var misses = 0.0, fas = nn
        var curve: [(pfa: Double, pmiss: Double, thr: Double)] = [(1, 0, all[0].0)]
        var i = 0
        while i < all.count {
            let v = all[i].0
            while i < all.count && all[i].0 == v {
                if all[i].1 { misses += 1 } else { fas -= 1 }
                i += 1
            }
            let next = i < all.count ? all[i].0 : v.nextUp
            curve.append((fas / nn, misses / nt, next))
        }
        // EER by interpolation where pmiss - pfa changes sign.
        var eer = 0.5, eerThr = curve[0].thr
        for j in 1..<curve.count {
            let a = curve[j - 1], b = curve[j]
            let da = a.pmiss - a.pfa, db = b.pmiss - b.pfa
            if da <= 0 && db >= 0 {
                let f = db - da != 0 ? -da / (db - da) : 0
                eer = a.pfa + f * (b.pfa - a.pfa)
                eer = (eer + (a.pmiss + f * (b.pmiss - a.pmiss))) / 2
                eerThr = a.thr + f * (b.thr - a.thr)
                break
            }
        }
        let norm = min(cost.cMiss * cost.pTarget, cost.cFalseAlarm * (1 - cost.pTarget))
        var best = Double.infinity, bestThr = curve[0].thr
        for p in curve {
            let c = (cost.cMiss * p.pmiss * cost.pTarget + cost.cFalseAlarm * p.pfa * (1 - cost.pTarget)) / norm
            if c < best { best = c; bestThr = p.thr }
        }
        self.eer = eer
        self.eerThreshold = eerThr
        self.minDCF = best
        self.minDCFThreshold = bestThr
        self.targets = tar.count
        self.nonTargets = non.count
        let step = max(1, curve.count / detPoints)
        var idx = Array(stride(from: 0, to: curve.count, by: step))
        if idx.last != curve.count - 1 { idx.append(curve.count - 1) }
        det = idx.map { DETPoint(falseAlarm: curve[$0].pfa, miss: curve[$0].pmiss, threshold: curve[$0].thr) }
    }
}
