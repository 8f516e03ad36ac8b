import CKernels

/// Top-C scoring of many speakers that share the UBM's weights and variances (MAP adaptation
/// of the means only, the default), in memory proportional to what differs per speaker.
///
/// For component k with shared variances s_k, a speaker's log-density is
///   log w_k N(x; m_sk, s_k) = g_sk + m_sk . (x / s_k) - 1/2 sum_d x_d^2 / s_kd,
/// where g_sk (the model's `gconsts`) holds everything that depends on the speaker but not on
/// the frame. The frame terms x / s_k and the last sum are the same for every speaker, so they
/// are computed once per (frame, selected component); what remains per speaker is one dot
/// product with its own means, read in place from its model (no copy of 10,000 models' means).
/// Frames are taken in super-blocks and grouped by selected component, so each speaker's means
/// are read once per super-block, and the dot products are matrix products of a group of
/// speakers' mean rows with the frames that selected the component (`spk_shared_variance_group`:
/// speakers or frames in the vector lanes, whichever fills them better; the same bits).
struct SharedVarianceScoring: Sendable {
    let ubm: DiagGMM
    let speakers: [DiagGMM]
    let topC: Int
    /// 1 / s_kd of the UBM, K x D.
    let inverseVariances: [Float]
    /// Every speaker's constants g_sk, component-major (K x S): 4 bytes per speaker and component.
    let constants: [Float]

    /// Frames per super-block and speakers per group.
    static let superBlock = 2048
    static let group = Int(SPK_SPEAKER_GROUP)

    /// nil unless every speaker has the UBM's weights and variances, bit for bit.
    init?(ubm: DiagGMM, speakers: [DiagGMM], topC: Int) {
        guard topC > 0, !speakers.isEmpty,
            speakers.allSatisfy({ $0.weights == ubm.weights && $0.variances == ubm.variances })
        else { return nil }
        self.ubm = ubm
        self.speakers = speakers
        self.topC = topC
        inverseVariances = ubm.variances.map { 1 / $0 }
        let K = ubm.components, S = speakers.count
        var g = [Float](repeating: 0, count: K * S)
        for (s, m) in speakers.enumerated() { for k in 0..<K { g[k * S + s] = m.gconsts[k] } }
        constants = g
    }

    /// Calls `emit(speaker, first frame, llrs)` for every speaker and run of consecutive frames
    /// (in frame order for each speaker): each frame's log-likelihood ratio on its C best UBM
    /// components.
    func forEachScore(_ frames: FeatureMatrix, _ emit: (Int, Int, UnsafeBufferPointer<Double>) -> Void) {
        let T = frames.rows, K = ubm.components, D = ubm.dimension, C = topC, S = speakers.count
        let halfInv = ubm.scoringMatrixTransposed  // rows D..<2D hold -1/(2 s_kd), K wide
        // Buffers for the largest block this call sees (a short clip allocates little).
        let B = min(Self.superBlock, max(T, 1))
        var best = [Int](repeating: 0, count: B * C)
        var ubmLL = [Double](repeating: 0, count: B)
        var topValues = [Float](repeating: 0, count: C)
        var counts = [Int](repeating: 0, count: K), offsets = [Int](repeating: 0, count: K + 1)
        var pairs = [Int](repeating: 0, count: B * C)  // t * C + j, grouped by component
        var position = [Int](repeating: 0, count: B * C)  // the place of pair t * C + j among the grouped
        var scaled = [Float](repeating: 0, count: B * C * D)  // per component: D x m_k
        var quadratic = [Float](repeating: 0, count: B * C)  // -1/2 sum x^2 / s, per pair
        var product = [Float](repeating: 0, count: Self.group * B * C)
        var selected = [Float](repeating: 0, count: Self.group * B * C)  // [grouped pair][speaker of the group]
        var llr = [Double](repeating: 0, count: Self.group * B)  // [speaker of the group][t]

        var sb = 0
        while sb < T {
            let n = min(Self.superBlock, T - sb)
            // The UBM on every component: each frame's C best and its truncated log-likelihood.
            ubm.forEachBlock(of: frames, rows: sb..<(sb + n)) { start, m, _, ll in
                for t in 0..<m {
                    let row = ll + t * K, tt = start - sb + t
                    ubmLL[tt] = UBMScorer.topComponents(row, count: K, c: C, values: &topValues, into: &best, at: tt * C)
                }
            }
            // Group the (frame, rank) pairs by component and precompute their shared terms.
            for k in 0..<K { counts[k] = 0 }
            for p in 0..<(n * C) { counts[best[p]] += 1 }
            offsets[0] = 0
            for k in 0..<K {
                offsets[k + 1] = offsets[k] + counts[k]
                counts[k] = 0
            }
            for p in 0..<(n * C) {
                let k = best[p], at = offsets[k] + counts[k]
                pairs[at] = p
                position[p] = at
                counts[k] += 1
            }
            frames.values.withUnsafeBufferPointer { xs in
                for k in 0..<K where counts[k] > 0 {
                    let o = offsets[k], m = counts[k]
                    for i in 0..<m {
                        let x = xs.baseAddress! + (sb + pairs[o + i] / C) * D
                        var q: Float = 0
                        for d in 0..<D {
                            scaled[D * o + d * m + i] = x[d] * inverseVariances[k * D + d]
                            q += x[d] * x[d] * halfInv[(D + d) * K + k]
                        }
                        quadratic[o + i] = q
                    }
                }
            }
            // Speakers in groups: their mean rows against each component's frames.
            var g0 = 0
            while g0 < S {
                let gs = min(Self.group, S - g0)
                withMeans(of: g0..<(g0 + gs)) { means in
                    let rows: [UnsafePointer<Float>?] = means
                    constants.withUnsafeBufferPointer { g in
                        product.withUnsafeMutableBufferPointer { pr in
                            selected.withUnsafeMutableBufferPointer { sel in
                                spk_shared_variance_group(
                                    Int32(gs), Int32(K), Int32(D), rows, offsets, scaled,
                                    g.baseAddress! + g0, S, quadratic, pr.baseAddress, sel.baseAddress)
                            }
                        }
                    }
                }
                llr.withUnsafeMutableBufferPointer { out in
                    spk_topc_lse_rows(selected, position, Int32(C), Int32(n), Int32(gs), ubmLL, out.baseAddress)
                    for s in 0..<gs { emit(g0 + s, sb, UnsafeBufferPointer(rebasing: out[(s * n)..<(s * n + n)])) }
                }
                g0 += gs
            }
            sb += n
        }
    }

    /// Runs `body` with pointers to the means of `range`'s speakers, each valid inside its own
    /// `withUnsafeBufferPointer` (nested, one level per speaker of the group).
    private func withMeans(of range: Range<Int>, _ body: ([UnsafePointer<Float>]) -> Void) {
        func nest(_ i: Int, _ collected: inout [UnsafePointer<Float>]) {
            if i == range.upperBound {
                body(collected)
                return
            }
            speakers[i].means.withUnsafeBufferPointer { p in
                collected.append(p.baseAddress!)
                nest(i + 1, &collected)
                collected.removeLast()
            }
        }
        var collected: [UnsafePointer<Float>] = []
        collected.reserveCapacity(range.count)
        nest(range.lowerBound, &collected)
    }
}
