import CKernels
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Gaussian mixture with diagonal covariances.
///
/// Stored as weights, means and variances (`Float`), plus the form used for scoring (as in
/// Kaldi's `DiagGmm`): for component k, log w_k N(x; mu_k, sigma_k^2) =
///   g_k + sum_d (mu_kd / s_kd) x_d - 1/2 sum_d (1 / s_kd) x_d^2,
/// with g_k = log w_k - 1/2 (D log 2pi + sum_d log s_kd + sum_d mu_kd^2 / s_kd). The
/// log-likelihoods of a block of frames X are therefore two matrix products,
/// X (mu/s)^T + X^2 (-1/(2s))^T, plus the per-component constants.
public struct DiagGMM: Sendable, Equatable {
    /// Equal parameters (the derived scoring form follows from them).
    public static func == (a: DiagGMM, b: DiagGMM) -> Bool {
        a.components == b.components && a.dimension == b.dimension && a.weights == b.weights
            && a.means == b.means && a.variances == b.variances
    }

    public let components: Int
    public let dimension: Int
    public let weights: [Float]
    /// K x D, row-major.
    public let means: [Float]
    /// K x D, row-major.
    public let variances: [Float]

    /// Per-component constants g_k.
    public let gconsts: [Float]
    /// The scoring matrix transposed, (2D + 1) x K: column k = [mu_k / s_k, -1 / (2 s_k), g_k],
    /// so that with a frame augmented to [x, x^2, 1] one dot product gives log w_k N(x; mu_k, s_k),
    /// and a block of frames times this matrix (`MatrixProduct`) all of them. Built on first
    /// use: speakers scored against a UBM by `SharedVarianceScoring` never need theirs, which
    /// keeps 10,000 models of 512 components to their means (and the UBM's shared arrays).
    var scoringMatrixTransposed: [Float] {
        scoringForm.value { [weights, means, variances, gconsts, components, dimension] in
            Self.scoringMatrix(weights: weights, means: means, variances: variances, gconsts: gconsts, K: components, D: dimension)
        }
    }
    private let scoringForm = LazyFloats()

    /// A mixture from K weights and K x D means and variances (row-major); refuses shapes that do not match, weights that do not sum to 1, non-finite values and non-positive variances.
    public init(weights: [Float], means: [Float], variances: [Float], dimension: Int) throws(ModelError) {
        let K = weights.count, D = dimension
        guard K > 0, D > 0 else { throw .invalidParameters("need at least one component and one dimension") }
        guard means.count == K * D, variances.count == K * D else {
            throw .invalidParameters("expected \(K)x\(D) means and variances")
        }
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw .invalidParameters("weights must be finite and non-negative") }
        let total = weights.reduce(0.0) { $0 + Double($1) }
        guard abs(total - 1) < 1e-3 else { throw .invalidParameters("weights sum to \(total), not 1") }
        guard means.allSatisfy({ $0.isFinite }) else { throw .invalidParameters("means must be finite") }
        guard variances.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw .invalidParameters("variances must be finite and positive") }
        self.components = K
        self.dimension = D
        self.weights = weights
        self.means = means
        self.variances = variances
        var g = [Float](repeating: 0, count: K)
        let log2pi = log(2 * Double.pi)
        for k in 0..<K {
            var c = weights[k] > 0 ? log(Double(weights[k])) : -Double.greatestFiniteMagnitude
            c -= 0.5 * Double(D) * log2pi
            for d in 0..<D {
                let m = Double(means[k * D + d]), v = Double(variances[k * D + d])
                c -= 0.5 * (log(v) + m * m / v)
            }
            g[k] = Float(max(c, -1e30))
        }
        gconsts = g
    }

    /// The same mixture with `ubm`'s weights and variances arrays when they hold the same
    /// values (a speaker adapted in its means only): one copy in memory for every such speaker.
    public func sharingStorage(with ubm: DiagGMM) -> DiagGMM {
        var g = self
        if weights == ubm.weights && variances == ubm.variances {
            g = DiagGMM(
                components: components, dimension: dimension, weights: ubm.weights, means: means,
                variances: ubm.variances, gconsts: gconsts)
        }
        return g
    }

    private init(components: Int, dimension: Int, weights: [Float], means: [Float], variances: [Float], gconsts: [Float]) {
        self.components = components
        self.dimension = dimension
        self.weights = weights
        self.means = means
        self.variances = variances
        self.gconsts = gconsts
    }

    static func scoringMatrix(weights: [Float], means: [Float], variances: [Float], gconsts: [Float], K: Int, D: Int) -> [Float] {
        var smt = [Float](repeating: 0, count: K * (2 * D + 1))
        for k in 0..<K {
            for d in 0..<D {
                let m = Double(means[k * D + d]), v = Double(variances[k * D + d])
                smt[d * K + k] = Float(m / v)
                smt[(D + d) * K + k] = Float(-0.5 / v)
            }
            smt[2 * D * K + k] = gconsts[k]
        }
        return smt
    }

    /// Number of free parameters (for information criteria and "too few frames" warnings).
    public var parameterCount: Int { components - 1 + 2 * components * dimension }

    /// Writes the augmented frames [x, x^2, 1] of the `n` frames at `x` into `augmented`
    /// (n x (2D + 1)).
    func augment(_ x: UnsafePointer<Float>, count n: Int, into augmented: UnsafeMutablePointer<Float>) {
        let D = dimension, W = 2 * D + 1
        for t in 0..<n {
            let src = x + t * D, dst = augmented + t * W
            for d in 0..<D {
                let v = src[d]
                dst[d] = v
                dst[D + d] = v * v
            }
            dst[2 * D] = 1
        }
    }

    /// Writes the n x K matrix of per-component log-likelihoods log(w_k N(x_t)) of `n`
    /// augmented frames into `out`: one matrix product, augmented x scoringMatrixTransposed.
    func componentLogLikelihoods(augmented: UnsafePointer<Float>, count n: Int, out: UnsafeMutablePointer<Float>) {
        let K = components, W = 2 * dimension + 1
        scoringMatrixTransposed.withUnsafeBufferPointer { smt in
            MatrixProduct.multiply(n: n, k: K, w: W, a: augmented, lda: W, bt: smt.baseAddress!, ldb: K, c: out, ldc: K)
        }
    }

    /// Walks `rows` of `frames` in blocks of at most `GMMWorkspace.blockFrames` and calls
    /// `body(start, n, augmented, loglik)` with each block's first row, size, augmented frames
    /// (n x (2D + 1)) and per-component log-likelihoods under this model (n x K, which `body`
    /// may overwrite, e.g. with posteriors): the block loop that statistics accumulation and
    /// top-C scoring share.
    @inline(__always)
    func forEachBlock(
        of frames: FeatureMatrix, rows: Range<Int>,
        _ body: (Int, Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        var ws = GMMWorkspace(components: components, dimension: dimension)
        forEachBlock(of: frames, rows: rows, workspace: &ws, body)
    }

    /// `forEachBlock(of:rows:_:)` in a workspace the caller keeps (made for this model's shape),
    /// for callers that walk many short runs of rows.
    @inline(__always)
    func forEachBlock(
        of frames: FeatureMatrix, rows: Range<Int>, workspace ws: inout GMMWorkspace,
        _ body: (Int, Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) {
        precondition(frames.columns == dimension, "dimension mismatch")
        precondition(
            ws.loglik.count >= GMMWorkspace.blockFrames * components
                && ws.augmented.count >= GMMWorkspace.blockFrames * (2 * dimension + 1), "workspace of another shape")
        let D = dimension
        frames.values.withUnsafeBufferPointer { xs in
            ws.augmented.withUnsafeMutableBufferPointer { augb in
                ws.loglik.withUnsafeMutableBufferPointer { llb in
                    let aug = augb.baseAddress!, ll = llb.baseAddress!
                    var start = rows.lowerBound
                    while start < rows.upperBound {
                        let n = min(GMMWorkspace.blockFrames, rows.upperBound - start)
                        augment(xs.baseAddress! + start * D, count: n, into: aug)
                        componentLogLikelihoods(augmented: aug, count: n, out: ll)
                        body(start, n, aug, ll)
                        start += n
                    }
                }
            }
        }
    }

    /// log p(x_t) for each frame, in Double.
    public func frameLogLikelihoods(_ frames: FeatureMatrix) -> [Double] {
        DiagGMM.frameLogLikelihoods([self], frames)[0]
    }

    /// log p_m(x_t) for every model m and frame t (`result[m][t]`). The frames are augmented
    /// once per block and reused for every model, so scoring many models costs one matrix
    /// product and one log-sum-exp per model and frame. All models must share the dimension.
    public static func frameLogLikelihoods(_ models: [DiagGMM], _ frames: FeatureMatrix) -> [[Double]] {
        guard let first = models.first else { return [] }
        let D = first.dimension
        precondition(frames.columns == D && models.allSatisfy { $0.dimension == D }, "dimension mismatch")
        var result = [[Double]](repeating: [Double](repeating: 0, count: frames.rows), count: models.count)
        let block = GMMWorkspace.blockFrames
        let maxK = models.map(\.components).max() ?? 1
        var ws = GMMWorkspace(components: maxK, dimension: D)
        frames.values.withUnsafeBufferPointer { x in
            var start = 0
            while start < frames.rows {
                let n = min(block, frames.rows - start)
                ws.loglik.withUnsafeMutableBufferPointer { ll in
                    ws.augmented.withUnsafeMutableBufferPointer { aug in
                        first.augment(x.baseAddress! + start * D, count: n, into: aug.baseAddress!)
                        for (m, g) in models.enumerated() {
                            let K = g.components
                            g.componentLogLikelihoods(augmented: aug.baseAddress!, count: n, out: ll.baseAddress!)
                            result[m].withUnsafeMutableBufferPointer { r in
                                VectorMath.logSumExpRows(ll.baseAddress!, rows: n, columns: K, into: r.baseAddress! + start)
                            }
                        }
                    }
                }
                start += n
            }
        }
        return result
    }

    /// The average per-frame log-likelihood of `frames` (Reynolds & Rose's score).
    public func averageLogLikelihood(_ frames: FeatureMatrix) -> Double {
        if frames.rows == 0 { return -.infinity }
        return frameLogLikelihoods(frames).reduce(0, +) / Double(frames.rows)
    }
}

/// A value computed once, on first use, by whichever thread asks first.
final class LazyFloats: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Float]?

    func value(_ make: () -> [Float]) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let v = make()
        stored = v
        return v
    }
}

/// Scratch buffers for scoring a block of frames against one GMM.
struct GMMWorkspace {
    /// Frames per block: large enough for efficient matrix products, small enough that the
    /// block's features, squares and log-likelihoods stay in cache.
    static let blockFrames = 256
    /// Frames augmented to [x, x^2, 1], blockFrames x (2D + 1).
    var augmented: [Float]
    var loglik: [Float]

    init(components: Int, dimension: Int) {
        augmented = [Float](repeating: 0, count: Self.blockFrames * (2 * dimension + 1))
        loglik = [Float](repeating: 0, count: Self.blockFrames * components)
    }
}
