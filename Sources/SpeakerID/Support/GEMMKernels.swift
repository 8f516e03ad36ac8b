import CKernels
import COpenBLAS

/// The two candidate implementations of the scoring product C = A B^T, exposed for
/// `speakerid bench gemm`. Scoring uses the C kernel for models whose matrix fits in cache
/// and OpenBLAS beyond (`DiagGMM.usesOwnKernel`); the E and M steps of training use OpenBLAS.
public enum GEMMKernels {
    /// C (n x k) = A (n x w) B^T with B k x w, by OpenBLAS.
    public static func blas(_ a: [Float], _ b: [Float], _ c: inout [Float], _ n: Int, _ w: Int, _ k: Int) {
        _ = BLASThreads.configured
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(k), Int32(w), 1, a, Int32(w), b, Int32(w), 0, &c, Int32(k))
    }

    /// `bt` is B transposed (w x k).
    public static func own(_ a: [Float], _ bt: [Float], _ c: inout [Float], _ n: Int, _ w: Int, _ k: Int) {
        spk_sgemm_tile(a, bt, &c, Int32(n), Int32(w), Int32(k))
    }
}
