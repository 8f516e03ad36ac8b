import COpenBLAS

/// The one place SpeakerID calls BLAS: the OpenBLAS side of `speakerid-dev bench gemm`, and the
/// products on x86-64 CPUs that have neither AVX2+FMA nor AVX-512 (`ProductKernel.openblas`);
/// everything else runs SpeakerID's own kernel. It keeps OpenBLAS single-threaded, set before
/// the first call whichever part of the library makes it: SpeakerID parallelises across frames and
/// files itself, and OpenBLAS's own threads would compete with ours for the same cores (before
/// this, k-means initialisation called BLAS before any model had set the count, so `enroll
/// --corpus` ran OpenBLAS threads inside every worker).
enum BLAS {
    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// C (m x n) = alpha op(A) op(B) + beta C, row-major, op = transpose when asked.
    static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>?, lda: Int, b: UnsafePointer<Float>?, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>?, ldc: Int
    ) {
        _ = singleThreaded
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension BLAS {
    /// OpenBLAS's build and the core kernel it picked for this CPU ("Cooperlake", "Haswell",
    /// or "Prescott" when it does not know the CPU and falls back to SSE3).
    static var openBLASCore: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
    static var openBLASConfig: String { openblas_get_config().map { String(cString: $0) } ?? "unknown" }
}
