#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sufficient statistics of frames under a GMM (Kaldi's `AccumDiagGmm`): per component the
/// occupancy sum_t gamma_tk, the first-order sum_t gamma_tk x_t and the second-order
/// sum_t gamma_tk x_t^2, plus the total log-likelihood.
///
/// Accumulated in Double (sums over hours of frames lose digits in Float) and mergeable: add
/// the statistics of shards computed on different threads or machines, then update once.
public struct GMMStatistics: Sendable, Equatable {
    public let components: Int
    public let dimension: Int
    public var occupancy: [Double]
    public var firstOrder: [Double]
    public var secondOrder: [Double]
    public var logLikelihood: Double = 0
    public var frames: Int = 0

    /// Zero statistics for a K-component, D-dimensional mixture.
    public init(components: Int, dimension: Int) {
        self.components = components
        self.dimension = dimension
        occupancy = [Double](repeating: 0, count: components)
        firstOrder = [Double](repeating: 0, count: components * dimension)
        secondOrder = [Double](repeating: 0, count: components * dimension)
    }

    /// Adds another shard's statistics.
    public mutating func merge(_ o: GMMStatistics) {
        precondition(o.components == components && o.dimension == dimension, "statistics of different shapes")
        for k in 0..<components { occupancy[k] += o.occupancy[k] }
        for i in 0..<firstOrder.count {
            firstOrder[i] += o.firstOrder[i]
            secondOrder[i] += o.secondOrder[i]
        }
        logLikelihood += o.logLikelihood
        frames += o.frames
    }

    /// Average log-likelihood per frame of the accumulated data.
    public var averageLogLikelihood: Double { frames > 0 ? logLikelihood / Double(frames) : -.infinity }

    /// Accumulates the E-step statistics of `rows` of `data` under `gmm`.
    public mutating func accumulate(_ gmm: DiagGMM, _ data: FeatureMatrix, rows: Range<Int>) {
        precondition(data.columns == dimension && gmm.dimension == dimension && gmm.components == components)
        let K = components, D = dimension
        let W = 2 * D + 1
        // gamma^T [X, X^2, 1]: first order, second order and occupancy in one product.
        var blockStats = [Float](repeating: 0, count: K * W)
        gmm.forEachBlock(of: data, rows: rows) { _, n, aug, ll in
            // Posteriors in place: gamma_tk = exp(ll_tk - max_t) / sum_k exp(ll_tk - max_t).
            for t in 0..<n {
                let row = ll + t * K
                let m = VectorMath.maximum(row, count: K)
                let sum = VectorMath.expShiftedInPlace(row, count: K, shift: m)
                logLikelihood += Double(m) + log(Double(sum))
                let inv = 1 / sum
                for k in 0..<K { row[k] *= inv }
            }
            blockStats.withUnsafeMutableBufferPointer { st in
                BLAS.sgemm(transposeA: true, m: K, n: W, k: n, a: ll, lda: K, b: aug, ldb: W, c: st.baseAddress, ldc: W)
            }
            for k in 0..<K {
                let row = k * W
                for d in 0..<D {
                    firstOrder[k * D + d] += Double(blockStats[row + d])
                    secondOrder[k * D + d] += Double(blockStats[row + D + d])
                }
                occupancy[k] += Double(blockStats[row + 2 * D])
            }
            frames += n
        }
    }
}
