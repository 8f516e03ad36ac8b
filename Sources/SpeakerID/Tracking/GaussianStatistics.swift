import Foundation

/// Sufficient statistics of a full-covariance Gaussian (count, sum, sum of outer products, in
/// Double), mergeable, so a stretch of speech of any length is summarised in d + d(d+1)/2
/// numbers. Used by the Bayesian information criterion for speaker changes and for clustering
/// unknown speech (Chen & Gopalakrishnan 1998).
struct GaussianStatistics: Sendable, Equatable {
    let dimension: Int
    private(set) var count: Double = 0
    private(set) var sum: [Double]
    /// Upper triangle of the sum of x x^T, row by row.
    private(set) var outer: [Double]

    init(dimension: Int) {
        self.dimension = dimension
        sum = [Double](repeating: 0, count: dimension)
        outer = [Double](repeating: 0, count: dimension * (dimension + 1) / 2)
    }

    /// Adds one observation (its first `dimension` values).
    mutating func add(_ x: UnsafePointer<Float>) {
        count += 1
        var k = 0
        for i in 0..<dimension {
            let xi = Double(x[i])
            sum[i] += xi
            for j in i..<dimension {
                outer[k] += xi * Double(x[j])
                k += 1
            }
        }
    }

    mutating func add(_ other: GaussianStatistics) {
        count += other.count
        for i in sum.indices { sum[i] += other.sum[i] }
        for i in outer.indices { outer[i] += other.outer[i] }
    }

    mutating func subtract(_ other: GaussianStatistics) {
        count -= other.count
        for i in sum.indices { sum[i] -= other.sum[i] }
        for i in outer.indices { outer[i] -= other.outer[i] }
    }

    static func + (a: GaussianStatistics, b: GaussianStatistics) -> GaussianStatistics {
        var c = a
        c.add(b)
        return c
    }

    /// log det of the maximum-likelihood covariance, with `ridge` added to its diagonal so
    /// a short stretch (fewer observations than dimensions) still has one; nil without data.
    func logDeterminant(ridge: Double = 1e-3) -> Double? {
        guard count >= 1 else { return nil }
        let d = dimension
        var a = [Double](repeating: 0, count: d * d)
        var k = 0
        for i in 0..<d {
            for j in i..<d {
                let c = outer[k] / count - sum[i] * sum[j] / (count * count)
                a[i * d + j] = c
                a[j * d + i] = c
                k += 1
            }
            a[i * d + i] += ridge
        }
        // Cholesky: log det = 2 sum log L_ii.
        var logDet = 0.0
        for j in 0..<d {
            var s = a[j * d + j]
            for p in 0..<j { s -= a[j * d + p] * a[j * d + p] }
            guard s > 0 else { return nil }
            let l = s.squareRoot()
            a[j * d + j] = l
            logDet += 2 * log(l)
            for i in (j + 1)..<d {
                var t = a[i * d + j]
                for p in 0..<j { t -= a[i * d + p] * a[j * d + p] }
                a[i * d + j] = t / l
            }
        }
        return logDet
    }

    /// Delta BIC of modelling `a` and `b` by two Gaussians rather than one:
    /// (N log|S| - N_a log|S_a| - N_b log|S_b|) / 2 - lambda P log(N) / 2, P = d + d(d+1)/2.
    /// Positive: two speakers are the better explanation. nil when either side is empty.
    static func deltaBIC(_ a: GaussianStatistics, _ b: GaussianStatistics, lambda: Double) -> Double? {
        let both = a + b
        guard let la = a.logDeterminant(), let lb = b.logDeterminant(), let l = both.logDeterminant() else { return nil }
        let d = Double(a.dimension)
        let penalty = lambda * 0.5 * (d + d * (d + 1) / 2) * log(both.count)
        return 0.5 * (both.count * l - a.count * la - b.count * lb) - penalty
    }
}
