import CKernels

/// The two candidate implementations of the scoring product C = A B^T, exposed for
/// `speakerid bench gemm`. Scoring uses the C kernel for models whose matrix fits in cache
/// and OpenBLAS beyond (`DiagGMM.usesOwnKernel`); the E and M steps of training use OpenBLAS.
public enum GEMMKernels {
    /// C (n x k) = A (n x w) B^T with B k x w, by OpenBLAS.
    public static func blas(_ a: [Float], _ b: [Float], _ c: inout [Float], _ n: Int, _ w: Int, _ k: Int) {
        checkSizes(a, b, c, n, w, k)
        BLAS.sgemm(transposeB: true, m: n, n: k, k: w, a: a, lda: w, b: b, ldb: w, c: &c, ldc: k)
    }

    /// `bt` is B transposed (w x k).
    public static func own(_ a: [Float], _ bt: [Float], _ c: inout [Float], _ n: Int, _ w: Int, _ k: Int) {
        checkSizes(a, bt, c, n, w, k)
        spk_sgemm_tile(a, bt, &c, Int32(n), Int32(w), Int32(k))
    }

    /// The buffers hold the sizes the product reads and writes; anything else is a programming
    /// error that would otherwise read or write out of bounds.
    static func checkSizes(_ a: [Float], _ b: [Float], _ c: [Float], _ n: Int, _ w: Int, _ k: Int) {
        precondition(n >= 0 && w > 0 && k > 0 && a.count >= n * w && b.count >= k * w && c.count >= n * k,
                     "GEMMKernels: A must hold n x w, B k x w and C n x k floats")
    }
}
