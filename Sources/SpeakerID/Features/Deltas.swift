import CKernels

/// Regression deltas (HTK/Kaldi): d_t = sum_{n=1..W} n (c_{t+n} - c_{t-n}) / (2 sum n^2), with the
/// first and last frames repeated at the edges. Delta-deltas are deltas of the deltas.
public enum Deltas {
    /// Appends `order` levels of deltas of the first `staticColumns` columns of `input`.
    ///
    /// The arithmetic is `spk_deltas` (Sources/CKernels/cepstral.c), 16 columns a vector on
    /// every CPU path, each sum in the fixed order of n, so every path gives the same bits.
    public static func append(to input: FeatureMatrix, order: Int, window: Int) -> FeatureMatrix {
        if order == 0 { return input }
        precondition(order > 0 && window >= 1, "Deltas.append: order \(order) and window \(window) must be positive")
        let T = input.rows, S = input.columns
        var out = FeatureMatrix(rows: T, columns: S * (order + 1))
        let denom = Float(2 * (1...window).reduce(0) { $0 + $1 * $1 })
        input.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableValues { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }  // no rows
                spk_deltas(s, T, S, order, window, 1 / denom, d)
            }
        }
        return out
    }
}
