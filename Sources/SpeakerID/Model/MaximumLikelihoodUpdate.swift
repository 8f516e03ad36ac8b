/// The maximum-likelihood M step: new weights, means and variances from statistics.
///
/// Variances are floored per dimension at `floor_d` (a fraction of the training data's global
/// variance, default 0.01), which keeps a component from shrinking onto a few frames; because
/// the likelihood of a one-dimensional Gaussian is unimodal in its variance, the floored update
/// is still the constrained maximum, so EM stays monotone. A component whose occupancy falls
/// below `minimumOccupancy` frames has collapsed: the caller re-seeds it.
public struct MaximumLikelihoodUpdate: Sendable {
    /// Absolute variance floor per dimension.
    public var varianceFloor: [Float]
    /// Occupancy (in frames) below which a component counts as collapsed.
    public var minimumOccupancy: Double = 1e-3

    /// An update with absolute variance floors per dimension and a collapse threshold in frames.
    public init(varianceFloor: [Float], minimumOccupancy: Double = 2) {
        self.varianceFloor = varianceFloor
        self.minimumOccupancy = minimumOccupancy
    }

    /// Returns the updated model and the indices of collapsed components (which keep their
    /// old parameters and must be re-seeded or removed by the caller).
    public func apply(_ s: GMMStatistics, to old: DiagGMM) throws(ModelError) -> (model: DiagGMM, collapsed: [Int]) {
        let K = s.components, D = s.dimension
        var w = [Float](repeating: 0, count: K)
        var mu = old.means, va = old.variances
        var collapsed: [Int] = []
        // Read once: the statistics are exact sums, converted to Double on each read.
        let occupancy = s.occupancy, firstOrder = s.firstOrder, secondOrder = s.secondOrder
        let total = occupancy.reduce(0, +)
        guard total > 0 else { throw .nonFiniteLikelihood("no occupancy: every frame has zero likelihood") }
        for k in 0..<K {
            let n = occupancy[k]
            if !(n >= minimumOccupancy) {
                collapsed.append(k)
                w[k] = Float(max(n, 0) / total)
                continue
            }
            w[k] = Float(n / total)
            for d in 0..<D {
                let i = k * D + d
                let m = firstOrder[i] / n
                let v = secondOrder[i] / n - m * m
                mu[i] = Float(m)
                va[i] = max(Float(v), varianceFloor[d])
            }
        }
        return (try DiagGMM(weights: normalizedWeights(w), means: mu, variances: va, dimension: D), collapsed)
    }
}

/// Weights rescaled to sum to exactly 1 in Double.
func normalizedWeights(_ w: [Float]) -> [Float] {
    let s = w.reduce(0.0) { $0 + Double($1) }
    return s > 0 ? w.map { Float(Double($0) / s) } : w
}
