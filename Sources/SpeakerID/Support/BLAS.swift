import COpenBLAS

/// The one place SpeakerID calls BLAS. It keeps OpenBLAS single-threaded, set before the
/// first call whichever part of the library makes it: SpeakerID parallelises across frames and
/// files itself, and OpenBLAS's own threads would compete with ours for the same cores (before
/// this, k-means initialisation called BLAS before any model had set the count, so `enroll
/// --corpus` ran OpenBLAS threads inside every worker).
enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// C (m x n) = alpha op(A) op(B) + beta C, row-major, op = transpose when asked.
    static func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>?, lda: Int, b: UnsafePointer<Float>?, ldb: Int,
                      beta: Float = 0, c: UnsafeMutablePointer<Float>?, ldc: Int) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y (m) = alpha A x + beta y, A row-major m x n.
    static func sgemv(m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>?, lda: Int, x: UnsafePointer<Float>?,
                      beta: Float = 0, y: UnsafeMutablePointer<Float>?) {
        _ = singleThreaded
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
}
