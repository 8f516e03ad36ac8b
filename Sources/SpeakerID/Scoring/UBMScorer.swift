import CKernels

/// Log-likelihood-ratio scoring of speaker models MAP-adapted from one UBM (Reynolds,
/// Quatieri & Dunn 2000): a frame's score for speaker s is log p_s(x) - log p_UBM(x), and a
/// clip's score the average over its speech frames.
///
/// Fast scoring (`topC` > 0): the UBM is evaluated in full (one matrix product per block of
/// frames), each frame's C best UBM components are found, and the UBM and each speaker model
/// are scored on those C components only (Reynolds et al. 2000, section 4.2). Because adapted components stay close to the UBM's, the
/// components that matter for the speaker are the ones that matter for the UBM. `topC` = 0
/// evaluates every component of every model (exact).
public struct UBMScorer: Sendable {
    public let ubm: DiagGMM
    public let speakers: [DiagGMM]
    public let topC: Int
    /// Every speaker's scoring row of component k side by side, K x S x (2D + 1): the C
    /// selected components of a frame are then C matrix-vector products over all speakers.
    /// Empty when `shared` scores (speakers with the UBM's weights and variances).
    let componentMajor: [Float]
    /// Top-C scoring that reads each speaker's means in place, when every speaker shares the
    /// UBM's weights and variances (means-only MAP adaptation).
    let shared: SharedVarianceScoring?

    /// A scorer for speaker models of the UBM's shape; `topC` 0 scores exactly.
    public init(ubm: DiagGMM, speakers: [DiagGMM], topC: Int = 5) throws(ModelError) {
        try self.init(ubm: ubm, speakers: speakers, topC: topC, sharingVariances: true)
    }

    /// `sharingVariances` false keeps the component-major layout even for speakers that share
    /// the UBM's variances (for tests comparing the two).
    init(ubm: DiagGMM, speakers: [DiagGMM], topC: Int, sharingVariances: Bool) throws(ModelError) {
        for s in speakers where s.components != ubm.components || s.dimension != ubm.dimension {
            if s.components != ubm.components { throw .componentMismatch(expected: ubm.components, got: s.components) }
            throw .dimensionMismatch(expected: ubm.dimension, got: s.dimension)
        }
        if topC < 0 { throw .invalidParameters("top-C must be >= 0") }
        self.ubm = ubm
        self.speakers = speakers
        self.topC = min(topC, ubm.components)
        let K = ubm.components, S = speakers.count, W = 2 * ubm.dimension + 1
        shared = sharingVariances ? SharedVarianceScoring(ubm: ubm, speakers: speakers, topC: self.topC) : nil
        var cm = [Float](repeating: 0, count: topC > 0 && shared == nil ? K * S * W : 0)
        if topC > 0 && shared == nil {
            for (si, g) in speakers.enumerated() {
                let smt = g.scoringMatrixTransposed  // built once per speaker, not once per element
                for k in 0..<K {
                    for j in 0..<W { cm[(k * S + si) * W + j] = smt[j * K + k] }
                }
            }
        }
        componentMajor = cm
    }

    /// Per-frame log-likelihood ratios: `result[s][t]` for speaker s and frame t.
    public func frameScores(_ frames: FeatureMatrix) -> [[Double]] {
        precondition(frames.columns == ubm.dimension, "dimension mismatch")
        if topC == 0 {
            // Exact: every component of every model, scored together with the UBM.
            let all = DiagGMM.frameLogLikelihoods([ubm] + speakers, frames)
            return all.dropFirst().map { zip($0, all[0]).map { $0 - $1 } }
        }
        let S = speakers.count, T = frames.rows, K = ubm.components, D = ubm.dimension, W = 2 * D + 1
        var result = [[Double]](repeating: [Double](repeating: 0, count: T), count: S)
        if T == 0 { return result }
        if let shared {
            shared.forEachScore(frames) { s, t0, v in for (i, x) in v.enumerated() { result[s][t0 + i] = x } }
            return result
        }
        var ubmLL = [Double](repeating: 0, count: GMMWorkspace.blockFrames)
        var best = [Int](repeating: 0, count: topC * GMMWorkspace.blockFrames)
        var selected = [Float](repeating: 0, count: topC * S)
        var topValues = [Float](repeating: 0, count: topC)
        ubm.forEachBlock(of: frames, rows: 0..<T) { start, n, aug, ll in
            for t in 0..<n {
                let row = ll + t * K
                ubmLL[t] = Self.topComponents(row, count: K, c: topC, values: &topValues, into: &best, at: t * topC)
            }
            componentMajor.withUnsafeBufferPointer { cm in
                selected.withUnsafeMutableBufferPointer { sel in
                    for t in 0..<n {
                        let a = aug + t * W
                        // sel[j * S + s]: speaker s's log-density on the frame's j-th component.
                        for j in 0..<topC {
                            spk_gemv(
                                cm.baseAddress! + best[t * topC + j] * S * W, a, Int32(S), Int32(W),
                                sel.baseAddress! + j * S)
                        }
                        for s in 0..<S {
                            var m = -Float.infinity
                            for j in 0..<topC { m = max(m, sel[j * S + s]) }
                            var sum: Float = 0
                            for j in 0..<topC { sum += VectorMath.exp(sel[j * S + s] - m) }
                            result[s][start + t] = Double(m) + Double(VectorMath.log(sum)) - ubmLL[t]
                        }
                    }
                }
            }
        }
        return result
    }

    /// Average log-likelihood ratio of `frames` for every speaker.
    public func scores(_ frames: FeatureMatrix) -> [Double] {
        if let shared, frames.rows > 0 {
            // Summed as they come, in frame order (as the per-frame path sums): no S x T matrix.
            var sums = [Double](repeating: 0, count: speakers.count)
            shared.forEachScore(frames) { s, _, v in
                var sum = sums[s]
                for x in v { sum += x }
                sums[s] = sum
            }
            return sums.map { $0 / Double(frames.rows) }
        }
        return frameScores(frames).map { $0.isEmpty ? -.infinity : $0.reduce(0, +) / Double($0.count) }
    }

    /// Selects a frame's `c` best UBM components (`selectTop`) and returns the UBM's
    /// log-likelihood on them alone: as Reynolds et al. do, the UBM too is scored on the C
    /// components, so the two truncations cancel in the ratio.
    @inline(__always)
    static func topComponents(_ row: UnsafePointer<Float>, count: Int, c: Int, values: inout [Float], into out: inout [Int], at: Int) -> Double {
        selectTop(row, count: count, c: c, values: &values, into: &out, at: at)
        var m = -Float.infinity
        for j in 0..<c { m = max(m, row[out[at + j]]) }
        var sum = 0.0
        for j in 0..<c { sum += Double(VectorMath.exp(row[out[at + j]] - m)) }
        return Double(m) + _log(sum)
    }

    /// Indices of the `c` largest values of a row, best first, written to `out[at...]`.
    /// `values` is scratch space for c floats.
    @inline(__always)
    static func selectTop(_ row: UnsafePointer<Float>, count: Int, c: Int, values vals: inout [Float], into out: inout [Int], at: Int) {
        for j in 0..<c {
            vals[j] = -.infinity
            out[at + j] = 0
        }
        for k in 0..<count {
            let v = row[k]
            if v <= vals[c - 1] { continue }
            var j = c - 1
            while j > 0 && vals[j - 1] < v {
                vals[j] = vals[j - 1]
                out[at + j] = out[at + j - 1]
                j -= 1
            }
            vals[j] = v
            out[at + j] = k
        }
    }
}
