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
/// Deterministic for a given seed whatever the thread count, and the same bits when the E step
/// runs on shards of the recordings on other machines (`speakerid accumulate`): statistics are
/// accumulated in pieces of at most `pieceFrames` frames that never straddle two recordings,
/// each piece summed in Double and added exactly (`GMMStatistics`), so neither the threads nor
/// the shards change a bit.
public struct EMTrainer: Sendable {
    public var options: EMOptions
    public var initializer = KMeansInitializer()
    /// Called after each iteration with (iteration, average log-likelihood).
    public var progress: (@Sendable (Int, Double) -> Void)?
    /// Use every n-th frame per iteration (a different offset each iteration), for background
    /// models trained on tens of hours; 1 uses every frame. (Not available sharded: the
    /// offsets are over the rows of every recording together.)
    public var subsample = 1

    /// A trainer with `options`.
    public init(options: EMOptions = EMOptions()) { self.options = options }

    /// Frames per statistics piece: each recording is cut into pieces of this many frames from
    /// its first frame (16 scoring blocks; a piece is the unit of parallel work and of Double
    /// summation before the exact sum).
    public static let pieceFrames = 16 * GMMWorkspace.blockFrames
    /// Frames a worker reads from a streamed source at a time (whole pieces): about 16 MB at
    /// 63 dimensions.
    static let readFrames = 64 * GMMWorkspace.blockFrames

    /// The starting point of training on `data` (at least two frames per component): the
    /// k-means initial model from the seeded sample, and the EM step with the variance floor of
    /// the frames' moments. `init-ubm` writes this model; `train` continues from it.
    public func initialize<Source: FrameSource>(_ data: Source) throws -> (model: DiagGMM, step: EMStep) {
        try options.validate()
        let K = options.components
        guard data.rows >= 2 * K, data.rows >= 2 else { throw ModelError.notEnoughFrames(frames: data.rows, components: K) }
        let step = try EMStep(options: options, moments: try data.moments())
        var random = SeededRandom(seed: options.seed)
        let sample = try data.frames(at: initializer.sampleRows(of: data.rows, components: K, random: &random))
        let model = try initializer.initialGMM(sample: sample, components: K, varianceFloor: step.varianceFloor, random: &random)
        return (model, step)
    }

    /// Trains on `data` (at least two frames per component) with up to `threads` worker tasks.
    /// The frames may be in memory or on disk (`FrameFile`); the model is the same for the
    /// same frames either way.
    public func train<Source: FrameSource>(_ data: Source, threads: Int = defaultThreadCount()) async throws -> TrainingResult {
        let (initial, step) = try initialize(data)
        var model = initial
        var state = EMProgress()
        var converged = false
        while true {
            let iteration = state.iteration
            let stats: GMMStatistics
            if subsample > 1 {
                stats = try await Self.statistics(model, StridedFrames(data, offset: iteration % subsample, step: subsample), threads: threads)
            } else {
                stats = try await Self.statistics(model, data, threads: threads)
            }
            let outcome = try step.advance(model, statistics: stats, progress: &state)
            progress?(iteration, state.history[iteration])
            guard case .next(let next) = outcome else {
                if case .finished(let c) = outcome { converged = c }
                break
            }
            model = next
        }
        return TrainingResult(
            model: model, history: state.history, converged: converged, reseeded: state.reseeded,
            reseedIterations: state.reseedIterations, frames: data.rows)
    }

    /// Each recording's rows cut into pieces of at most `pieceFrames` from its first row: the
    /// canonical pieces EM's statistics are summed over.
    public static func pieces(recordingRows: [Int]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for n in recordingRows {
            for lo in Swift.stride(from: start, to: start + n, by: pieceFrames) { out.append(lo..<min(start + n, lo + pieceFrames)) }
            start += n
        }
        return out
    }

    /// E-step statistics of all frames: the canonical pieces (`pieces`), handed out to up to
    /// `threads` workers in runs of about `readFrames` frames, each worker summing into its own
    /// statistics, merged at the end. Every sum is exact, so the outcome does not depend on
    /// which worker took which piece; memory is one set of statistics per worker.
    public static func statistics<Source: FrameSource>(_ model: DiagGMM, _ data: Source, threads: Int) async throws -> GMMStatistics {
        precondition(data.columns == model.dimension, "dimension mismatch")
        let pieces = Self.pieces(recordingRows: data.recordingRows)
        // Runs of consecutive pieces, each read (when streamed) in one go.
        var grouped: [Range<Int>] = []
        var first = 0
        for i in pieces.indices where i + 1 == pieces.count || pieces[i + 1].upperBound - pieces[first].lowerBound > readFrames {
            grouped.append(first..<(i + 1))
            first = i + 1
        }
        let runs = grouped
        let queue = WorkQueue(count: runs.count)
        let memory = data.inMemory
        let workers = max(1, min(threads, runs.count))
        let parts = try await parallelMap(count: workers, threads: workers) { _ -> GMMStatistics in
            var st = GMMStatistics(components: model.components, dimension: model.dimension)
            while let r = queue.next() {
                let run = pieces[runs[r]]
                if let memory {
                    st.accumulate(model, memory, pieces: run)
                } else {
                    let lo = run.first?.lowerBound ?? 0
                    let block = try data.frames(lo..<(run.last?.upperBound ?? lo))
                    st.accumulate(model, block, pieces: run.lazy.map { ($0.lowerBound - lo)..<($0.upperBound - lo) })
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
