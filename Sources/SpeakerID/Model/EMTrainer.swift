#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options of maximum-likelihood EM training.
public struct EMOptions: Codable, Equatable, Sendable {
    /// Mixture components K.
    public var components: Int = 32
    /// Upper bound on EM iterations.
    public var maxIterations: Int = 10
    /// Stop when the relative change of the average log-likelihood falls below this.
    public var tolerance: Double = 1e-3
    /// Variance floor as a fraction of the training data's global variance per dimension.
    public var varianceFloor: Double = 0.01
    /// Seed of the random choices (subsample, k-means++ seeds).
    public var seed: UInt64 = 0

    /// Options with the documented defaults.
    public init() {}

    /// Refuses options that cannot train a model, saying which.
    public func validate() throws(ModelError) {
        if components < 1 || components > 65536 { throw .invalidParameters("components must be 1-65536") }
        if maxIterations < 0 { throw .invalidParameters("iterations must be >= 0") }
        if !(tolerance >= 0) { throw .invalidParameters("tolerance must be >= 0") }
        if !(varianceFloor > 0 && varianceFloor < 1) { throw .invalidParameters("variance floor must be in (0, 1)") }
    }
}

/// What EM produced and how it got there.
public struct TrainingResult: Sendable {
    public var model: DiagGMM
    /// Average log-likelihood of the training frames under each successive model: entry 0 is
    /// the initial model, entry i the model after i iterations.
    public var history: [Double]
    public var iterations: Int { history.count - 1 }
    public var converged: Bool
    /// Components re-seeded after collapsing (counted over all iterations).
    public var reseeded: Int
    /// Iterations after which a collapsed component was re-seeded (monotonicity does not
    /// hold across those).
    public var reseedIterations: [Int]
    public var frames: Int
    public var finalLogLikelihood: Double { history.last ?? -.infinity }
}

/// Maximum-likelihood training of a diagonal GMM by expectation-maximisation.
///
/// Deterministic for a given seed whatever the thread count: frames are cut into shards (a
/// partition fixed by the number of frames) whose statistics are accumulated independently and
/// merged in shard order.
public struct EMTrainer: Sendable {
    public var options: EMOptions
    public var initializer = KMeansInitializer()
    /// Called after each iteration with (iteration, average log-likelihood).
    public var progress: (@Sendable (Int, Double) -> Void)?
    /// Use every n-th frame per iteration (a different offset each iteration), for background
    /// models trained on tens of hours; 1 uses every frame.
    public var subsample = 1

    /// A trainer with `options`.
    public init(options: EMOptions = EMOptions()) { self.options = options }

    /// Shards are the unit of parallel work and of deterministic merging: the frames are cut
    /// into at most `maximumShards` contiguous shards of at least `minimumShardFrames` frames,
    /// a partition that depends on the number of frames only, never on the thread count. A
    /// fixed number of shards also bounds memory: one set of statistics per shard, however
    /// many frames there are.
    static let maximumShards = 64
    static let minimumShardFrames = 1024

    /// Trains on `data` (at least two frames per component) with up to `threads` worker tasks.
    /// The frames may be in memory or on disk (`FrameFile`); the model is the same for the
    /// same frames either way.
    public func train<Source: FrameSource>(_ data: Source, threads: Int = defaultThreadCount()) async throws -> TrainingResult {
        try options.validate()
        let K = options.components
        guard data.rows >= 2 * K, data.rows >= 2 else { throw ModelError.notEnoughFrames(frames: data.rows, components: K) }
        let summary = try data.summary()
        guard summary.allFinite else { throw ModelError.invalidParameters("training frames contain NaN or infinity") }
        // A dimension with no variance at all (a constant feature) still needs a positive floor.
        let floor = summary.variance.map { max(Float($0) * Float(options.varianceFloor), 1e-6) }
        var random = SeededRandom(seed: options.seed)
        let sample = try data.frames(at: initializer.sampleRows(of: data.rows, components: K, random: &random))
        var model = try initializer.initialGMM(sample: sample, components: K, varianceFloor: floor, random: &random)
        let update = MaximumLikelihoodUpdate(varianceFloor: floor)

        var history: [Double] = []
        var reseedIterations: [Int] = []
        var reseeded = 0
        var converged = false
        var iteration = 0
        while true {
            let stats: GMMStatistics
            if subsample > 1 {
                stats = try await Self.statistics(model, StridedFrames(data, offset: iteration % subsample, step: subsample), threads: threads)
            } else {
                stats = try await Self.statistics(model, data, threads: threads)
            }
            let ll = stats.averageLogLikelihood
            guard ll.isFinite else { throw ModelError.nonFiniteLikelihood("average log-likelihood \(ll) at iteration \(iteration)") }
            history.append(ll)
            progress?(iteration, ll)
            if history.count >= 2 {
                let prev = history[history.count - 2]
                if abs(ll - prev) <= options.tolerance * abs(prev) && !reseedIterations.contains(iteration) {
                    converged = true
                    break
                }
            }
            if iteration >= options.maxIterations { break }
            var (next, collapsed) = try update.apply(stats, to: model)
            if !collapsed.isEmpty {
                next = try Self.reseed(next, collapsed: collapsed, random: &random)
                reseeded += collapsed.count
                reseedIterations.append(iteration + 1)
            }
            model = next
            iteration += 1
        }
        return TrainingResult(model: model, history: history, converged: converged, reseeded: reseeded,
                              reseedIterations: reseedIterations, frames: data.rows)
    }

    /// Frames a shard reads from a source at a time (a multiple of the scoring block, so the
    /// statistics are those of the whole shard at once): 16 MB at 63 dimensions.
    static let readFrames = 64 * GMMWorkspace.blockFrames

    /// E-step statistics of all frames, sharded over threads and merged in shard order.
    public static func statistics<Source: FrameSource>(_ model: DiagGMM, _ data: Source, threads: Int) async throws -> GMMStatistics {
        let shards = max(1, min(maximumShards, data.rows / minimumShardFrames))
        let shardFrames = (data.rows + shards - 1) / shards
        let parts = try await parallelMap(count: shards, threads: threads) { s in
            var st = GMMStatistics(components: model.components, dimension: model.dimension)
            let lo = s * shardFrames, hi = min(data.rows, lo + shardFrames)
            if let m = data as? FeatureMatrix {
                st.accumulate(model, m, rows: lo..<hi)
            } else {
                for start in Swift.stride(from: lo, to: hi, by: readFrames) {
                    let block = try data.frames(start..<min(hi, start + readFrames))
                    st.accumulate(model, block, rows: 0..<block.rows)
                }
            }
            return st
        }
        var total = parts[0]
        for p in parts.dropFirst() { total.merge(p) }
        return total
    }

    /// Replaces each collapsed component by half of the heaviest one, split along its standard
    /// deviation (HTK's mixture splitting).
    static func reseed(_ m: DiagGMM, collapsed: [Int], random: inout SeededRandom) throws(ModelError) -> DiagGMM {
        var w = m.weights, mu = m.means, va = m.variances
        let D = m.dimension
        for c in collapsed {
            guard let h = w.indices.filter({ !collapsed.contains($0) || $0 == c }).max(by: { w[$0] < w[$1] }), h != c else { continue }
            for d in 0..<D {
                let sd = va[h * D + d].squareRoot() * 0.2
                mu[c * D + d] = mu[h * D + d] + sd
                mu[h * D + d] -= sd
                va[c * D + d] = va[h * D + d]
            }
            let half = w[h] / 2
            w[h] = half
            w[c] = half
        }
        return try DiagGMM(weights: normalizedWeights(w), means: mu, variances: va, dimension: D)
    }
}
