/// Where EM training stands between iterations: what a model file records while a UBM is
/// trained in steps (`init-ubm`, then rounds of `accumulate`, `sum-stats`, `update`), so that
/// each step continues exactly where the last one left off, on any machine.
public struct EMProgress: Codable, Equatable, Sendable {
    /// Average log-likelihood of the training frames under each model so far: entry i is the
    /// model after i iterations. Empty for the initial model, not yet evaluated.
    public var history: [Double] = []
    /// Iterations after which a collapsed component was re-seeded (convergence is not tested
    /// across those).
    public var reseedIterations: [Int] = []
    /// Components re-seeded so far.
    public var reseeded = 0

    /// Nothing done yet: the initial model.
    public init() {}

    /// The iteration whose model the next statistics are accumulated under (0: the initial model).
    public var iteration: Int { history.count }
}

/// What one EM step decided.
public enum EMStepOutcome: Sendable, Equatable {
    /// Another iteration: the updated model.
    case next(DiagGMM)
    /// EM has finished with the model the statistics were accumulated under, by convergence or
    /// at the iteration limit.
    case finished(converged: Bool)
}

/// One EM iteration's decision and M step: from a model and the statistics of every training
/// frame under it, either the next model or the end of training. `EMTrainer` runs it in a loop
/// in one process; `speakerid update` runs it once per round on statistics summed from many
/// machines. Both give the same bits, because the statistics are exact sums and nothing here
/// depends on where it runs: the random numbers of an iteration (none are drawn today:
/// re-seeding splits the heaviest component deterministically) come from (seed, iteration).
public struct EMStep: Sendable {
    public let options: EMOptions
    /// Absolute variance floor per dimension: `options.varianceFloor` times the training
    /// frames' global variance (at least 1e-6).
    public let varianceFloor: [Float]

    /// The step for `options`, with the variance floor from the training frames' exact moments.
    public init(options: EMOptions, moments: MomentAccumulator) throws(ModelError) {
        try options.validate()
        guard moments.allFinite else { throw .invalidParameters("training frames contain NaN or infinity") }
        self.options = options
        // A dimension with no variance at all (a constant feature) still needs a positive floor.
        varianceFloor = moments.variance.map { max(Float($0) * Float(options.varianceFloor), 1e-6) }
    }

    /// The seed of iteration `iteration`'s random numbers: a function of (seed, iteration)
    /// only, so any machine computing that iteration draws the same.
    public static func iterationSeed(_ seed: UInt64, iteration: Int) -> UInt64 {
        var r = SeededRandom(seed: seed ^ (UInt64(truncatingIfNeeded: iteration) &* 0x9E37_79B9_7F4A_7C15))
        return r.next()
    }

    /// Records the average log-likelihood of `statistics` (accumulated under `model`, which is
    /// the model of iteration `progress.iteration`) and decides: converged (relative change at
    /// most the tolerance, not across a re-seeding), the iteration limit reached, or the next
    /// model by the maximum-likelihood update with collapsed components re-seeded.
    public func advance(
        _ model: DiagGMM, statistics: GMMStatistics,
        progress: inout EMProgress
    ) throws(ModelError) -> EMStepOutcome {
        let iteration = progress.iteration
        let ll = statistics.averageLogLikelihood
        guard ll.isFinite else { throw .nonFiniteLikelihood("average log-likelihood \(ll) at iteration \(iteration)") }
        progress.history.append(ll)
        if let prev = progress.history.dropLast().last,
            abs(ll - prev) <= options.tolerance * abs(prev) && !progress.reseedIterations.contains(iteration)
        {
            return .finished(converged: true)
        }
        if iteration >= options.maxIterations { return .finished(converged: false) }
        var (next, collapsed) = try MaximumLikelihoodUpdate(varianceFloor: varianceFloor).apply(statistics, to: model)
        if !collapsed.isEmpty {
            var random = SeededRandom(seed: Self.iterationSeed(options.seed, iteration: iteration))
            next = try EMTrainer.reseed(next, collapsed: collapsed, random: &random)
            progress.reseeded += collapsed.count
            progress.reseedIterations.append(iteration + 1)
        }
        return .next(next)
    }
}
