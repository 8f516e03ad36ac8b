import CKernels
import Foundation

/// Which code computes SpeakerID's matrix products (the E and M steps of EM, scoring, k-means)
/// on this CPU. Chosen once from the CPU's features, not its model number, so a CPU newer than
/// the distribution's BLAS still gets its vector units.
public enum ProductKernel: String, Sendable, CaseIterable, CustomStringConvertible {
    /// AVX-512F, 8 x 32 register tiles.
    case avx512
    /// AVX2 with FMA, 6 x 16 register tiles.
    case avx2
    /// C's `fmaf` in plain loops: the definition the vector kernels match bit for bit; fast
    /// where FMA is an instruction compilers vectorise (arm64), slow emulation elsewhere.
    case portable
    /// OpenBLAS's sgemm: only on x86-64 CPUs without AVX2 and FMA, where `portable` would
    /// emulate every FMA in software. Its rounding is OpenBLAS's, not the FMA chain's.
    case openblas

    /// The kernel this process uses (SPEAKERID_KERNEL=avx512|avx2|portable asks for a lesser one).
    public static let current: ProductKernel = {
        switch Int(spk_kernel_path()) {
        case Int(SPK_KERNEL_AVX512): return .avx512
        case Int(SPK_KERNEL_AVX2): return .avx2
        default:
            #if arch(x86_64)
            if ProcessInfo.processInfo.environment["SPEAKERID_KERNEL"] != "portable" { return .openblas }
            #endif
            return .portable
        }
    }()

    /// Whether this CPU can run the kernel.
    public var isSupported: Bool {
        switch self {
        case .avx512: return spk_kernel_supported(Int32(SPK_KERNEL_AVX512)) != 0
        case .avx2: return spk_kernel_supported(Int32(SPK_KERNEL_AVX2)) != 0
        case .portable, .openblas: return true
        }
    }

    public var description: String {
        switch self {
        case .avx512: return "SpeakerID AVX-512 kernel (8x32 tiles)"
        case .avx2: return "SpeakerID AVX2+FMA kernel (6x16 tiles)"
        case .portable: return "SpeakerID portable kernel (fmaf)"
        case .openblas: return "OpenBLAS sgemm (this CPU has neither AVX2+FMA nor AVX-512)"
        }
    }

    var path: Int32? {
        switch self {
        case .avx512: return Int32(SPK_KERNEL_AVX512)
        case .avx2: return Int32(SPK_KERNEL_AVX2)
        case .portable: return Int32(SPK_KERNEL_PORTABLE)
        case .openblas: return nil
        }
    }

    /// C (n x k) = A (n x w) Bt (w x k), row-major with leading dimensions; every element one
    /// FMA chain over the inner index in order, so `avx512`, `avx2` and `portable` give the
    /// same bits.
    func multiply(
        n: Int, k: Int, w: Int, a: UnsafePointer<Float>, lda: Int, bt: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard let path else {
            BLAS.sgemm(m: n, n: k, k: w, a: a, lda: lda, b: bt, ldb: ldb, c: c, ldc: ldc)
            return
        }
        spk_gemm_path(path, Int32(n), Int32(k), Int32(w), a, lda, bt, ldb, c, ldc)
    }
}

/// SpeakerID's matrix products, on `ProductKernel.current`.
enum MatrixProduct {
    /// Another kernel for the products of the current task and its child tasks: for tests that
    /// train the same model on every path this CPU has and compare the bits.
    @TaskLocal static var kernel: ProductKernel?

    /// The kernel path of the C code beside the products (the LSTM cell): the current kernel's,
    /// portable where the products go to OpenBLAS.
    static var cellPath: Int32 { (kernel ?? ProductKernel.current).path ?? Int32(SPK_KERNEL_PORTABLE) }

    /// C (n x k) = A (n x w) Bt (w x k), row-major with leading dimensions.
    @inline(__always)
    static func multiply(
        n: Int, k: Int, w: Int, a: UnsafePointer<Float>, lda: Int, bt: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        (kernel ?? ProductKernel.current).multiply(n: n, k: k, w: w, a: a, lda: lda, bt: bt, ldb: ldb, c: c, ldc: ldc)
    }
}
