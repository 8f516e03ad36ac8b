/// Tells unknown speakers apart as their segments close: each segment joins the cluster it
/// is most like when the Bayesian information criterion prefers one Gaussian for both
/// (delta BIC below 0), else starts a new one (the agglomerative BIC clustering of LIUM
/// SpkDiarization, done online so memory stays one Gaussian's statistics per cluster).
struct UnknownClusters: Sendable {
    let lambda: Double
    let maximum: Int
    private(set) var clusters: [GaussianStatistics] = []

    init(lambda: Double, maximum: Int) {
        self.lambda = lambda
        self.maximum = max(1, maximum)
    }

    /// The 1-based cluster the segment's statistics join (the cluster takes them in).
    mutating func assign(_ segment: GaussianStatistics) -> Int {
        var best = -1, bestBIC = Double.infinity
        for (i, c) in clusters.enumerated() {
            if let d = GaussianStatistics.deltaBIC(c, segment, lambda: lambda), d < bestBIC {
                best = i
                bestBIC = d
            }
        }
        if best >= 0 && (bestBIC < 0 || clusters.count >= maximum) {
            clusters[best].add(segment)
            return best + 1
        }
        clusters.append(segment)
        return clusters.count
    }
}
