/// The scoring product C = A B^T by OpenBLAS and by SpeakerID's own kernel, side by side, for
/// `speakerid-dev bench gemm`. SpeakerID computes every product with its own kernel
/// (`ProductKernel.current`); OpenBLAS is kept as the peer it is measured against.
public enum GEMMKernels {
    /// C (n x k) = A (n x w) B^T with B k x w, by OpenBLAS.
    public static func blas(_ a: [Float], _ b: [Float], _ c: inout [Float], _ n: Int, _ w: Int, _ k: Int) {
        checkSizes(a, b, c, n, w, k)
        BLAS.sgemm(transposeB: true, m: n, n: k, k: w, a: a, lda: w, b: b, ldb: w, c: &c, ldc: k)
    }

    /// The same product by SpeakerID's kernel on `kernel` (default: this CPU's); `bt` is B
    /// transposed (w x k).
    public static func own(
        _ a: [Float], _ bt: [Float], _ c: inout [Float], _ n: Int, _ w: Int, _ k: Int,
        kernel: ProductKernel = .current
    ) {
        checkSizes(a, bt, c, n, w, k)
        precondition(kernel.isSupported, "GEMMKernels: this CPU cannot run the \(kernel.rawValue) kernel")
        a.withUnsafeBufferPointer { ab in
            bt.withUnsafeBufferPointer { bb in
                c.withUnsafeMutableBufferPointer { cb in
                    kernel.multiply(
                        n: n, k: k, w: w, a: ab.baseAddress!, lda: w, bt: bb.baseAddress!, ldb: k,
                        c: cb.baseAddress!, ldc: k)
                }
            }
        }
    }

    /// The buffers hold the sizes the product reads and writes; anything else is a programming
    /// error that would otherwise read or write out of bounds.
    static func checkSizes(_ a: [Float], _ b: [Float], _ c: [Float], _ n: Int, _ w: Int, _ k: Int) {
        precondition(
            n > 0 && w > 0 && k > 0 && a.count >= n * w && b.count >= k * w && c.count >= n * k,
            "GEMMKernels: A must hold n x w, B k x w and C n x k floats, all sizes positive")
    }
}
