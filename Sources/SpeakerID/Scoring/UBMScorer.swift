import COpenBLAS

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

    public init(ubm: DiagGMM, speakers: [DiagGMM], topC: Int = 5) throws(ModelError) {
        for s in speakers where s.components != ubm.components || s.dimension != ubm.dimension {
            throw .dimensionMismatch(expected: ubm.components, got: s.components)
        }
        if topC < 0 { throw .invalidParameters("top-C must be >= 0") }
        self.ubm = ubm
        self.speakers = speakers
        self.topC = min(topC, ubm.components)
    }

    /// Per-frame log-likelihood ratios: `result[s][t]` for speaker s and frame t.
    public func frameScores(_ frames: FeatureMatrix) -> [[Double]] {
        precondition(frames.columns == ubm.dimension, "dimension mismatch")
        let S = speakers.count, T = frames.rows, K = ubm.components, D = ubm.dimension, W = 2 * D + 1
        var result = [[Double]](repeating: [Double](repeating: 0, count: T), count: S)
        if T == 0 { return result }
        var ws = GMMWorkspace(components: K, dimension: D)
        var speakerLL = topC == 0 ? [Float](repeating: 0, count: GMMWorkspace.blockFrames * K) : []
        var ubmLL = [Double](repeating: 0, count: GMMWorkspace.blockFrames)
        var best = [Int](repeating: 0, count: max(topC, 1) * GMMWorkspace.blockFrames)
        frames.values.withUnsafeBufferPointer { xs in
            var start = 0
            while start < T {
                let n = min(GMMWorkspace.blockFrames, T - start)
                ws.augmented.withUnsafeMutableBufferPointer { augb in
                    ws.loglik.withUnsafeMutableBufferPointer { llb in
                        let aug = augb.baseAddress!, ll = llb.baseAddress!
                        ubm.augment(xs.baseAddress! + start * D, count: n, into: aug)
                        ubm.componentLogLikelihoods(augmented: aug, count: n, out: ll)
                        for t in 0..<n {
                            let row = ll + t * K
                            if topC > 0 {
                                // As Reynolds et al. do, the UBM too is scored on the C
                                // components, so the two truncations cancel in the ratio.
                                Self.selectTop(row, count: K, c: topC, into: &best, at: t * topC)
                                var m = -Float.infinity
                                for j in 0..<topC { m = max(m, row[best[t * topC + j]]) }
                                var sum = 0.0
                                for j in 0..<topC { sum += Double(VectorMath.exp(row[best[t * topC + j]] - m)) }
                                ubmLL[t] = Double(m) + _log(sum)
                            } else {
                                ubmLL[t] = VectorMath.logSumExpDestroying(row, count: K)
                            }
                        }
                        for s in 0..<S {
                            let g = speakers[s]
                            if topC == 0 {
                                speakerLL.withUnsafeMutableBufferPointer { sb in
                                    g.componentLogLikelihoods(augmented: aug, count: n, out: sb.baseAddress!)
                                    for t in 0..<n {
                                        result[s][start + t] = VectorMath.logSumExpDestroying(sb.baseAddress! + t * K, count: K) - ubmLL[t]
                                    }
                                }
                            } else {
                                g.scoringMatrix.withUnsafeBufferPointer { sm in
                                    for t in 0..<n {
                                        let a = aug + t * W
                                        var v = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
                                        withUnsafeMutableBytes(of: &v) { raw in
                                            let vals = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                                            let c = min(topC, 8)
                                            for j in 0..<c {
                                                vals[j] = Self.dot(a, sm.baseAddress! + best[t * topC + j] * W, W)
                                            }
                                            var extra: [Float] = []
                                            if topC > 8 {
                                                extra = (8..<topC).map { Self.dot(a, sm.baseAddress! + best[t * topC + $0] * W, W) }
                                            }
                                            var m = -Float.infinity
                                            for j in 0..<c { m = max(m, vals[j]) }
                                            for e in extra { m = max(m, e) }
                                            var sum = 0.0
                                            for j in 0..<c { sum += Double(VectorMath.exp(vals[j] - m)) }
                                            for e in extra { sum += Double(VectorMath.exp(e - m)) }
                                            result[s][start + t] = Double(m) + _log(sum) - ubmLL[t]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                start += n
            }
        }
        return result
    }

    /// Average log-likelihood ratio of `frames` for every speaker.
    public func scores(_ frames: FeatureMatrix) -> [Double] {
        frameScores(frames).map { $0.isEmpty ? -.infinity : $0.reduce(0, +) / Double($0.count) }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i + 4 <= n {
            s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3]
            i += 4
        }
        while i < n {
            s0 += a[i] * b[i]
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// Indices of the `c` largest values of a row, best first, written to `out[at...]`.
    @inline(__always)
    static func selectTop(_ row: UnsafePointer<Float>, count: Int, c: Int, into out: inout [Int], at: Int) {
        var vals = [Float](repeating: -.infinity, count: c)
        var idx = [Int](repeating: 0, count: c)
        for k in 0..<count {
            let v = row[k]
            if v <= vals[c - 1] { continue }
            var j = c - 1
            while j > 0 && vals[j - 1] < v {
                vals[j] = vals[j - 1]
                idx[j] = idx[j - 1]
                j -= 1
            }
            vals[j] = v
            idx[j] = k
        }
        for j in 0..<c { out[at + j] = idx[j] }
    }
}
