import Foundation

/// How well scores serve as log-likelihood ratios (BOSARIS; Brümmer & du Preez 2006), as
/// opposed to how well they separate targets from non-targets (EER, minDCF):
///
/// - Cllr: the cost of the scores used as natural-log LLRs, in bits, averaged over all
///   operating points; 0 is perfect, 1 is a system that always says LLR 0.
/// - minCllr: Cllr after the best monotonic re-mapping of the scores (pool-adjacent-violators),
///   the discrimination part of Cllr; Cllr - minCllr is the calibration loss.
/// - actDCF: the normalised detection cost of deciding at a threshold fixed before the scores
///   were seen (the Bayes threshold of calibrated LLRs), beside minDCF, the cost at the best
///   threshold chosen after seeing them.
public enum CalibrationMetrics {
    /// Cllr in bits of natural-log LLRs: (mean log2(1 + e^-t) over targets + mean log2(1 + e^n)
    /// over non-targets) / 2. nil when either list is empty.
    public static func cllr(targets: [Double], nonTargets: [Double]) -> Double? {
        guard !targets.isEmpty, !nonTargets.isEmpty else { return nil }
        let t = targets.reduce(0.0) { $0 + softplus(-$1) } / Double(targets.count)
        let n = nonTargets.reduce(0.0) { $0 + softplus($1) } / Double(nonTargets.count)
        return (t + n) / (2 * M_LN2)
    }

    /// minCllr: Cllr of the LLRs that the optimal non-decreasing map of the scores gives
    /// (pool-adjacent-violators on the scores sorted, ties pooled), with the target proportion
    /// of the trials as prior, as BOSARIS's `min_cllr` computes it.
    public static func minCllr(targets: [Double], nonTargets: [Double]) -> Double? {
        guard !targets.isEmpty, !nonTargets.isEmpty else { return nil }
        let (tar, non) = optimalLLRs(targets: targets, nonTargets: nonTargets)
        return cllr(targets: tar, nonTargets: non)
    }

    /// The LLRs of the pool-adjacent-violators map: each trial's score replaced by the log odds
    /// of the target proportion of its pooled block, minus the log odds of all trials' target
    /// proportion. Returned in the input order.
    public static func optimalLLRs(targets: [Double], nonTargets: [Double]) -> (targets: [Double], nonTargets: [Double]) {
        // (score, is target, original index); ties put non-targets first so a tie pools.
        var all = targets.enumerated().map { ($1, true, $0) } + nonTargets.enumerated().map { ($1, false, $0) }
        all.sort { $0.0 != $1.0 ? $0.0 < $1.0 : (!$0.1 && $1.1) }
        // Blocks of (targets, count), merged while a block's proportion is not below the next's;
        // equal scores always share a block.
        var sums: [Double] = [], counts: [Double] = [], ends: [Int] = []
        var i = 0
        while i < all.count {
            var t = 0.0, c = 0.0
            let v = all[i].0
            while i < all.count && all[i].0 == v {
                if all[i].1 { t += 1 }
                c += 1
                i += 1
            }
            sums.append(t)
            counts.append(c)
            ends.append(i)
            while sums.count > 1 && sums[sums.count - 2] / counts[counts.count - 2] >= sums[sums.count - 1] / counts[counts.count - 1] {
                sums[sums.count - 2] += sums.removeLast()
                counts[counts.count - 2] += counts.removeLast()
                ends.removeLast(2)
                ends.append(i)
            }
        }
        let priorLogOdds = log(Double(targets.count) / Double(nonTargets.count))
        var tar = [Double](repeating: 0, count: targets.count), non = [Double](repeating: 0, count: nonTargets.count)
        var start = 0
        for (b, end) in ends.enumerated() {
            let p = sums[b] / counts[b]
            let llr = (p <= 0 ? -Double.infinity : p >= 1 ? Double.infinity : log(p / (1 - p))) - priorLogOdds
            for k in start..<end {
                if all[k].1 { tar[all[k].2] = llr } else { non[all[k].2] = llr }
            }
            start = end
        }
        return (tar, non)
    }

    /// The Bayes decision threshold on natural-log LLRs for a prior and costs: accept when
    /// LLR >= log(C_fa (1 - P) / (C_miss P)).
    public static func bayesThreshold(_ cost: DetectionMetrics.CostModel) -> Double {
        DecisionCosts(prior: cost.pTarget, costMiss: cost.cMiss, costFalseAlarm: cost.cFalseAlarm).bayesThreshold
    }

    /// The posterior probability of the target hypothesis given a natural-log LLR and a prior.
    public static func posterior(llr: Double, prior: Double) -> Double {
        DecisionCosts(prior: prior).posterior(llr: llr)
    }

    /// Normalised detection cost of accepting scores >= `threshold`: (C_miss P_miss P +
    /// C_fa P_fa (1 - P)) / min(C_miss P, C_fa (1 - P)), as minDCF is normalised.
    public static func detectionCost(
        targets: [Double], nonTargets: [Double], threshold: Double,
        cost: DetectionMetrics.CostModel
    ) -> Double? {
        guard !targets.isEmpty, !nonTargets.isEmpty else { return nil }
        let pMiss = Double(targets.filter { $0 < threshold }.count) / Double(targets.count)
        let pFA = Double(nonTargets.filter { $0 >= threshold }.count) / Double(nonTargets.count)
        return normalizedCost(pMiss: pMiss, pFA: pFA, cost: cost)
    }

    static func normalizedCost(pMiss: Double, pFA: Double, cost: DetectionMetrics.CostModel) -> Double {
        let p = cost.pTarget
        return (cost.cMiss * pMiss * p + cost.cFalseAlarm * pFA * (1 - p)) / min(cost.cMiss * p, cost.cFalseAlarm * (1 - p))
    }

    /// One point of a normalised Bayes error-rate plot.
    public struct BayesErrorPoint: Sendable, Equatable {
        /// Prior log-odds, log(P / (1 - P)), with unit costs.
        public var logOdds: Double
        /// Normalised DCF of the LLRs decided at the Bayes threshold -logOdds.
        public var actual: Double
        /// The lowest normalised DCF of any threshold at this prior.
        public var minimum: Double
    }

    /// The normalised Bayes error-rate plot (Brümmer): actual and minimum normalised DCF with
    /// unit costs at each prior log-odds, the LLRs decided at the Bayes threshold -logOdds.
    public static func bayesErrorCurve(
        targets: [Double], nonTargets: [Double],
        logOdds: [Double] = stride(from: -7.0, through: 7.0, by: 0.25).map { $0 }
    ) -> [BayesErrorPoint] {
        guard !targets.isEmpty, !nonTargets.isEmpty else { return [] }
        // The (P_miss, P_fa) steps of every distinct threshold, for the minimum.
        let curve = operatingPoints(targets: targets, nonTargets: nonTargets)
        let sortedTar = targets.sorted(), sortedNon = nonTargets.sorted()
        return logOdds.map { eta in
            var cost = DetectionMetrics.CostModel()
            cost.cMiss = 1
            cost.cFalseAlarm = 1
            cost.pTarget = 1 / (1 + exp(-eta))
            let th = -eta
            let pMiss = Double(lowerBound(sortedTar, th)) / Double(sortedTar.count)
            let pFA = Double(sortedNon.count - lowerBound(sortedNon, th)) / Double(sortedNon.count)
            let actual = normalizedCost(pMiss: pMiss, pFA: pFA, cost: cost)
            let minimum = curve.map { normalizedCost(pMiss: $0.pMiss, pFA: $0.pFA, cost: cost) }.min() ?? actual
            return BayesErrorPoint(logOdds: eta, actual: actual, minimum: min(minimum, actual))
        }
    }

    /// (P_miss, P_fa) at every distinct threshold, from accepting everything to nothing.
    static func operatingPoints(targets: [Double], nonTargets: [Double]) -> [(pMiss: Double, pFA: Double)] {
        var all = targets.map { ($0, true) } + nonTargets.map { ($0, false) }
        all.sort { $0.0 < $1.0 }
        let nt = Double(targets.count), nn = Double(nonTargets.count)
        var misses = 0.0, fas = nn
        var out: [(Double, Double)] = [(0, 1)]
        var i = 0
        while i < all.count {
            let v = all[i].0
            while i < all.count && all[i].0 == v {
                if all[i].1 { misses += 1 } else { fas -= 1 }
                i += 1
            }
            out.append((misses / nt, fas / nn))
        }
        return out
    }

    /// Index of the first element not below `x` in a sorted array.
    static func lowerBound(_ xs: [Double], _ x: Double) -> Int {
        var lo = 0, hi = xs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if xs[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// log(1 + e^x) without overflow.
    static func softplus(_ x: Double) -> Double {
        x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
    }
}

/// Encoded as `{log_odds, act_dcf, min_dcf}`; numbers that are not finite as null.
extension CalibrationMetrics.BayesErrorPoint: Encodable {
    enum CodingKeys: String, CodingKey {
        case logOdds = "log_odds"
        case actual = "act_dcf"
        case minimum = "min_dcf"
    }

    /// Writes the point under its JSON keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNumber(logOdds, forKey: .logOdds)
        try c.encodeNumber(actual, forKey: .actual)
        try c.encodeNumber(minimum, forKey: .minimum)
    }
}
