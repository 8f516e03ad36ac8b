/// Counts of target and non-target scores in equal-width bins.
public struct ScoreHistogram: Sendable, Equatable {
    public var lower: Double
    public var binWidth: Double
    public var targets: [Int]
    public var nonTargets: [Int]

    /// Histograms of both score lists over the same bins; nil when there are too few distinct scores.
    public init?(targets tar: [Double], nonTargets non: [Double], bins: Int = 40) {
        let all = (tar + non).filter(\.isFinite).sorted()
        guard all.count >= 2, bins > 0 else { return nil }
        // The 0.5th-99.5th percentiles, so a few outliers do not flatten the picture; scores
        // outside are not counted.
        let lo = all[all.count / 200], hi = all[(all.count - 1) - all.count / 200]
        guard hi > lo else { return nil }
        lower = lo
        binWidth = (hi - lo) / Double(bins)
        func count(_ xs: [Double]) -> [Int] {
            var c = [Int](repeating: 0, count: bins)
            for x in xs where x.isFinite && x >= lo && x <= hi { c[min(bins - 1, Int((x - lo) / ((hi - lo) / Double(bins))))] += 1 }
            return c
        }
        targets = count(tar)
        nonTargets = count(non)
    }
}
