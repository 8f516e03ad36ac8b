/// Regression deltas (HTK/Kaldi): d_t = sum_{n=1..W} n (c_{t+n} - c_{t-n}) / (2 sum n^2), with the
/// first and last frames repeated at the edges. Delta-deltas are deltas of the deltas.
public enum Deltas {
    /// Appends `order` levels of deltas of the first `staticColumns` columns of `input`.
    public static func append(to input: FeatureMatrix, order: Int, window: Int) -> FeatureMatrix {
        if order == 0 { return input }
        let T = input.rows, S = input.columns
        var out = FeatureMatrix(rows: T, columns: S * (order + 1))
        let denom = Float(2 * (1...window).reduce(0) { $0 + $1 * $1 })
        input.values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableValues { dst in
                let C = S * (order + 1)
                for t in 0..<T {
                    for j in 0..<S { dst[t * C + j] = src[t * S + j] }
                }
                for level in 1...order {
                    let inOff = (level - 1) * S, outOff = level * S
                    let scale = 1 / denom
                    for t in 0..<T {
                        let row = dst.baseAddress! + t * C + outOff
                        for j in 0..<S { row[j] = 0 }
                        for n in 1...window {
                            // Rows t+n and t-n, repeating the first and last frames at the edges.
                            let a = dst.baseAddress! + min(t + n, T - 1) * C + inOff
                            let b = dst.baseAddress! + max(t - n, 0) * C + inOff
                            let fn = Float(n)
                            for j in 0..<S { row[j] += fn * (a[j] - b[j]) }
                        }
                        for j in 0..<S { row[j] *= scale }
                    }
                }
            }
        }
        return out
    }
}
