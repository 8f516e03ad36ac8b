import Foundation
import Testing
@testable import SpeakerID

/// The DET point list against operating points computed independently: it must follow the
/// empirical curve everywhere, keep every point that shapes it near the EER, and stay small.
struct DETCurveTests {
    typealias Point = DetectionMetrics.DETPoint

    /// `n` normal scores of mean `mean`, rounded to `decimals` places when given (to make ties).
    static func scores(_ n: Int, mean: Double, seed: UInt64, decimals: Double? = nil) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in
            let x = mean + rng.nextGaussian()
            return decimals.map { (x * pow(10, $0)).rounded() / pow(10, $0) } ?? x
        }
    }

    /// (P_fa, P_miss) at every distinct score taken as the threshold (accept when score >=
    /// threshold), then rejecting all: the plain O(n^2) definition.
    static func bruteForce(targets tar: [Double], nonTargets non: [Double]) -> [Point] {
        let thresholds = Array(Set(tar + non)).sorted()
        var points: [Point] = []
        for t in thresholds {
            var fa = 0, miss = 0
            for x in non where x >= t { fa += 1 }
            for x in tar where x < t { miss += 1 }
            points.append(Point(falseAlarm: Double(fa) / Double(non.count), miss: Double(miss) / Double(tar.count), threshold: t))
        }
        points.append(Point(falseAlarm: 0, miss: 1, threshold: thresholds[thresholds.count - 1].nextUp))
        return points
    }

    /// The same points from sorted lists (for sizes the O(n^2) loop cannot afford).
    static func sweep(targets tar: [Double], nonTargets non: [Double]) -> [Point] {
        let t = tar.sorted(), n = non.sorted()
        /// The number of elements of sorted `xs` below `v`.
        func below(_ xs: [Double], _ v: Double) -> Int {
            var lo = 0, hi = xs.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if xs[mid] < v { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let thresholds = Array(Set(tar + non)).sorted()
        var points = thresholds.map {
            Point(falseAlarm: Double(n.count - below(n, $0)) / Double(n.count), miss: Double(below(t, $0)) / Double(t.count), threshold: $0)
        }
        points.append(Point(falseAlarm: 0, miss: 1, threshold: thresholds[thresholds.count - 1].nextUp))
        return points
    }

    /// The normal deviate, with 0 and 1 clipped to 1e-9 from the ends.
    static func probit(_ p: Double) -> Double { inverseNormalCDF(min(max(p, 1e-9), 1 - 1e-9)) }

    /// Distance from point p to the segment a-b.
    static func distance(_ p: (Double, Double), _ a: (Double, Double), _ b: (Double, Double)) -> Double {
        let dx = b.0 - a.0, dy = b.1 - a.1, len2 = dx * dx + dy * dy
        let f = len2 > 0 ? min(1, max(0, ((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2)) : 0
        let ex = a.0 + f * dx - p.0, ey = a.1 + f * dy - p.1
        return (ex * ex + ey * ey).squareRoot()
    }

    /// The largest distance (probit space) from a point of the full curve to the segment of
    /// the thinned list whose thresholds enclose it.
    static func largestDeviation(of det: [Point], from full: [Point]) -> Double {
        var worst = 0.0, k = 0
        for p in full {
            while k + 2 < det.count && det[k + 1].threshold <= p.threshold { k += 1 }
            let a = det[k], b = det[min(k + 1, det.count - 1)]
            worst = max(
                worst,
                distance((probit(p.falseAlarm), probit(p.miss)), (probit(a.falseAlarm), probit(a.miss)), (probit(b.falseAlarm), probit(b.miss))))
        }
        return worst
    }

    /// The largest probit-space step between consecutive points within `radius` deviates of
    /// (EER, EER).
    static func largestGapNearEER(_ det: [Point], eer: Double, radius: Double) -> Double {
        let e = probit(eer)
        var worst = 0.0
        for (a, b) in zip(det, det.dropFirst()) {
            let pa = (probit(a.falseAlarm), probit(a.miss)), pb = (probit(b.falseAlarm), probit(b.miss))
            guard distance((e, e), pa, pb) < radius else { continue }
            worst = max(worst, ((pa.0 - pb.0) * (pa.0 - pb.0) + (pa.1 - pb.1) * (pa.1 - pb.1)).squareRoot())
        }
        return worst
    }

    /// Distance (probability space) from (EER, EER) to the polyline.
    static func distanceToEER(_ det: [Point], eer: Double) -> Double {
        zip(det, det.dropFirst()).map { distance((eer, eer), ($0.falseAlarm, $0.miss), ($1.falseAlarm, $1.miss)) }.min() ?? .infinity
    }

    /// The two operating points between which P_miss overtakes P_fa.
    static func eerBracket(_ full: [Point]) -> (Point, Point)? {
        guard let j = full.firstIndex(where: { $0.miss >= $0.falseAlarm }), j > 0 else { return nil }
        return (full[j - 1], full[j])
    }

    @Test func detFollowsEveryDistinctThresholdAndPassesThroughTheEER() throws {
        // 7000 trials with ties (three decimals): the old list kept one point in 70, so it
        // jumped about 1% at a time across the EER.
        let tar = Self.scores(1000, mean: 2.5, seed: 1, decimals: 3), non = Self.scores(6000, mean: 0, seed: 2, decimals: 3)
        let m = try #require(DetectionMetrics(targets: tar, nonTargets: non))
        let full = Self.bruteForce(targets: tar, nonTargets: non)
        // Every listed point is a true operating point, in threshold order, from (1, 0) to (0, 1).
        var byThreshold: [Double: Point] = [:]
        for p in full { byThreshold[p.threshold] = p }
        for p in m.det { #expect(byThreshold[p.threshold] == p, "\(p) is not the operating point at its threshold") }
        #expect(zip(m.det, m.det.dropFirst()).allSatisfy { $0.threshold < $1.threshold })
        #expect(m.det.first == full.first && m.det.last == full.last)
        // The points either side of the crossing are both listed, one after the other.
        let (before, after) = try #require(Self.eerBracket(full))
        let i = try #require(m.det.firstIndex(of: before))
        #expect(i + 1 < m.det.count && m.det[i + 1] == after, "the EER's bracketing points are not consecutive")
        #expect(Self.distanceToEER(m.det, eer: m.eer) < 1e-9, "the curve misses (EER, EER)")
        // The drawn curve stays within the tolerance of every operating point, and near the EER
        // no step exceeds a few pixels.
        let deviation = Self.largestDeviation(of: m.det, from: full)
        #expect(deviation <= 0.005 + 1e-9, "the list strays \(deviation) deviates from the curve")
        let gap = Self.largestGapNearEER(m.det, eer: m.eer, radius: 0.5)
        #expect(gap < 0.02, "a step of \(gap) deviates near the EER")
        #expect(m.det.count < full.count, "nothing thinned")
        // The minDCF point is a listed operating point.
        #expect(m.det.contains(m.minDCFPoint) && m.minDCFPoint.threshold == m.minDCFThreshold)
    }

    @Test func detOfManyTrialsStaysSmallAndKeepsTheShapeNearTheEER() throws {
        // 420,000 trials and a small EER (about 7%): the old list was 100 points about 4,200
        // thresholds apart.
        let tar = Self.scores(20_000, mean: 3, seed: 3), non = Self.scores(400_000, mean: 0, seed: 4)
        let m = try #require(DetectionMetrics(targets: tar, nonTargets: non))
        let full = Self.sweep(targets: tar, nonTargets: non)
        #expect(m.det.count < 4000, "\(m.det.count) points")
        #expect(Self.largestDeviation(of: m.det, from: full) <= 0.005 + 1e-9)
        #expect(Self.largestGapNearEER(m.det, eer: m.eer, radius: 0.5) < 0.02)
        #expect(Self.distanceToEER(m.det, eer: m.eer) < 1e-9)
        let (before, after) = try #require(Self.eerBracket(full))
        #expect(m.det.contains(before) && m.det.contains(after))
    }
}
