#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-utterance normalisation of speech frames. Kept apart from extraction so a test segment
/// cut from a longer file is normalised on its own frames only, as a real clip of that length
/// would be.
public enum Normalizer {
    /// `m` normalised as `options` says (frame shift converts the warping window to frames).
    public static func apply(_ options: NormalizationOptions, to m: FeatureMatrix, frameShiftMs: Double) -> FeatureMatrix {
        switch options.mode {
        case .none: return m
        case .mean: return meanVariance(m, variance: false)
        case .meanVariance: return meanVariance(m, variance: true)
        case .warp:
            let w = max(1, Int((options.warpWindowSeconds * 1000 / frameShiftMs).rounded()))
            return warp(m, window: w)
        }
    }

    /// Subtracts each column's mean (and divides by its standard deviation), in Double.
    public static func meanVariance(_ m: FeatureMatrix, variance: Bool) -> FeatureMatrix {
        let T = m.rows, C = m.columns
        if T == 0 { return m }
        let (mean, variances) = m.columnMoments()
        let scale: [Double] = variances.map { v in
            guard variance else { return 1 }
            return v > 1e-20 ? 1 / v.squareRoot() : 1
        }
        var out = m
        out.withUnsafeMutableValues { d in
            for t in 0..<T {
                for c in 0..<C { d[t * C + c] = Float((Double(d[t * C + c]) - mean[c]) * scale[c]) }
            }
        }
        return out
    }

    /// Feature warping: each value is replaced by the standard-normal quantile of its rank
    /// within a `window`-frame window centred on its frame (the window is shifted inward at
    /// the edges, and is the whole utterance when that is shorter): x -> Phi^-1((R - 0.5) / N),
    /// R the 1-based rank among the N window values (ties share the lower rank plus half the
    /// number of ties: the mid-rank).
    public static func warp(_ m: FeatureMatrix, window: Int) -> FeatureMatrix {
        let T = m.rows, C = m.columns
        if T == 0 { return m }
        let N = min(window, T)
        // Quantiles for every (2 x rank) a window of N can produce, mid-ranks included.
        let table: [Float] = (0...(2 * N)).map { twiceRank in
            let p = (Double(twiceRank) / 2 - 0.5) / Double(N)
            return p > 0 && p < 1 ? Float(inverseNormalCDF(p)) : 0
        }
        var out = m
        out.withUnsafeMutableValues { d in
            m.values.withUnsafeBufferPointer { s in
                for t in 0..<T {
                    let start = min(max(0, t - N / 2), T - N)
                    for c in 0..<C {
                        let x = s[t * C + c]
                        var below = 0, equal = 0
                        for u in start..<(start + N) {
                            let v = s[u * C + c]
                            if v < x { below += 1 } else if v == x { equal += 1 }
                        }
                        // Mid-rank: below + (equal + 1) / 2, doubled to stay an integer.
                        d[t * C + c] = table[2 * below + equal + 1]
                    }
                }
            }
        }
        return out
    }
}
