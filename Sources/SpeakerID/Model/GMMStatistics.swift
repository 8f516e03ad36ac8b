import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sufficient statistics of frames under a GMM (Kaldi's `AccumDiagGmm`): per component the
/// occupancy sum_t gamma_tk, the first-order sum_t gamma_tk x_t and the second-order
/// sum_t gamma_tk x_t^2, plus the total log-likelihood and the number of frames.
///
/// Each `accumulate` call sums its frames in Double (blocks of Float products, as EM computes
/// them), then adds that partial sum exactly (`ExactSum`, 128-bit fixed point). Merging is
/// exact too, so the statistics of the same pieces of frames are the same bits in whatever
/// order or grouping they are merged: over threads, over shards on other machines
/// (`StatisticsFile`, `speakerid sum-stats`), or in a tree of sums. Read as Double.
public struct GMMStatistics: Sendable, Equatable {
    public let components: Int
    public let dimension: Int
    /// Exact sums: K occupancies, K x D first-order and K x D second-order (row-major), and the
    /// log-likelihood.
    public private(set) var occupancySums: [ExactSum]
    public private(set) var firstOrderSums: [ExactSum]
    public private(set) var secondOrderSums: [ExactSum]
    public private(set) var logLikelihoodSum = ExactSum()
    public private(set) var frames: Int = 0
    /// False once a partial sum was NaN, infinite or too large to add exactly (frames of
    /// absurd magnitude, or a frame no component can explain): EM refuses such statistics.
    public private(set) var isFinite = true

    /// Zero statistics for a K-component, D-dimensional mixture.
    public init(components: Int, dimension: Int) {
        self.components = components
        self.dimension = dimension
        occupancySums = [ExactSum](repeating: ExactSum(), count: components)
        firstOrderSums = [ExactSum](repeating: ExactSum(), count: components * dimension)
        secondOrderSums = firstOrderSums
    }

    /// Statistics read back from a file (shapes checked by the caller).
    public init(
        components: Int, dimension: Int, occupancy: [ExactSum], firstOrder: [ExactSum], secondOrder: [ExactSum],
        logLikelihood: ExactSum, frames: Int, isFinite: Bool
    ) {
        precondition(
            occupancy.count == components && firstOrder.count == components * dimension
                && secondOrder.count == components * dimension)
        self.components = components
        self.dimension = dimension
        occupancySums = occupancy
        firstOrderSums = firstOrder
        secondOrderSums = secondOrder
        logLikelihoodSum = logLikelihood
        self.frames = frames
        self.isFinite = isFinite
    }

    /// Occupancy per component.
    public var occupancy: [Double] { occupancySums.map(\.value) }
    /// First-order sums, K x D row-major.
    public var firstOrder: [Double] { firstOrderSums.map(\.value) }
    /// Second-order sums, K x D row-major.
    public var secondOrder: [Double] { secondOrderSums.map(\.value) }
    /// Total log-likelihood of the frames.
    public var logLikelihood: Double { logLikelihoodSum.value }

    /// Adds another shard's statistics (same shape), exactly.
    public mutating func merge(_ o: GMMStatistics) {
        precondition(o.components == components && o.dimension == dimension, "statistics of different shapes")
        occupancySums.addExactly(o.occupancySums)
        firstOrderSums.addExactly(o.firstOrderSums)
        secondOrderSums.addExactly(o.secondOrderSums)
        logLikelihoodSum += o.logLikelihoodSum
        frames += o.frames
        isFinite =
            isFinite && o.isFinite && logLikelihoodSum.inRange
            && occupancySums.allSatisfy(\.inRange) && secondOrderSums.allSatisfy(\.inRange)
    }

    /// Average log-likelihood per frame of the accumulated data (NaN when not finite).
    public var averageLogLikelihood: Double {
        guard isFinite else { return .nan }
        return frames > 0 ? logLikelihood / Double(frames) : -.infinity
    }

    /// Accumulates the E-step statistics of `rows` of `data` under `gmm`: summed in Double in
    /// blocks of `GMMWorkspace.blockFrames` from `rows.lowerBound`, then added exactly.
    public mutating func accumulate(_ gmm: DiagGMM, _ data: FeatureMatrix, rows: Range<Int>) {
        accumulate(gmm, data, pieces: CollectionOfOne(rows))
    }

    /// Accumulates each of `pieces` as `accumulate(_:_:rows:)` would, one after the other (the
    /// same bits), with one set of working buffers for all of them.
    public mutating func accumulate<Pieces: Collection<Range<Int>>>(_ gmm: DiagGMM, _ data: FeatureMatrix, pieces: Pieces) {
        precondition(data.columns == dimension && gmm.dimension == dimension && gmm.components == components)
        let K = components, D = dimension
        let W = 2 * D + 1
        // [X, X^2, 1]^T gamma: first order, second order and occupancy in one product, (2D + 1) x K.
        var blockStats = [Float](repeating: 0, count: W * K)
        var sums = [Double](repeating: 0, count: W * K)
        var augmentedT = [Float](repeating: 0, count: W * GMMWorkspace.blockFrames)
        var ws = GMMWorkspace(components: K, dimension: D)
        for rows in pieces where !rows.isEmpty {
            var ll = 0.0
            sums.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            gmm.forEachBlock(of: data, rows: rows, workspace: &ws) { _, n, aug, lik in
                // Posteriors in place: gamma_tk = exp(ll_tk - max_t) / sum_k exp(ll_tk - max_t).
                spk_posteriors_rows(lik, Int32(n), Int32(K), &ll)
                augmentedT.withUnsafeMutableBufferPointer { at in
                    spk_transpose(aug, Int32(n), Int32(W), at.baseAddress!)
                    blockStats.withUnsafeMutableBufferPointer { st in
                        MatrixProduct.multiply(n: W, k: K, w: n, a: at.baseAddress!, lda: n, bt: lik, ldb: K, c: st.baseAddress!, ldc: K)
                    }
                }
                // Summed in the product's (2D + 1) x K layout, contiguously.
                blockStats.withUnsafeBufferPointer { b in
                    sums.withUnsafeMutableBufferPointer { acc in
                        for i in 0..<(W * K) { acc[i] += Double(b[i]) }
                    }
                }
            }
            // The piece's Double sums, added exactly (in any order: the result is the same).
            var ok = true
            sums.withUnsafeBufferPointer { s in
                occupancySums.withUnsafeMutableBufferPointer { o in
                    for k in 0..<K {
                        if let e = ExactSum(s[2 * D * K + k]) { o[k] += e } else { ok = false }
                    }
                }
                firstOrderSums.withUnsafeMutableBufferPointer { f in
                    secondOrderSums.withUnsafeMutableBufferPointer { q in
                        for d in 0..<D {
                            let first = s.baseAddress! + d * K, second = s.baseAddress! + (D + d) * K
                            for k in 0..<K {
                                if let e = ExactSum(first[k]) { f[k * D + d] += e } else { ok = false }
                                if let e = ExactSum(second[k]) { q[k * D + d] += e } else { ok = false }
                            }
                        }
                    }
                }
            }
            if let e = ExactSum(ll) { logLikelihoodSum += e } else { ok = false }
            frames += rows.count
            isFinite = isFinite && ok && logLikelihoodSum.inRange
        }
    }
}
