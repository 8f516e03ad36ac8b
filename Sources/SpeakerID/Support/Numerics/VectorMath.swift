import CKernels

/// Vectorisable exponentials and log-sum-exp for the scoring and E-step loops.
///
/// Why: in GMM scoring the matrix products are done by BLAS at near peak speed, and what is
/// left is one exponential per frame and component. A libm `expf` call costs 5-10 ns; this
/// branch-free polynomial (Cephes' expf: range reduction by ln 2 split in two parts, degree-6
/// polynomial, exponent by bit manipulation, rounding by the 1.5 x 2^23 trick) is written as
/// straight-line scalar code that LLVM vectorises, and is accurate to a few ulp over the range
/// that matters (tested against `exp` in the test suite).
public enum VectorMath {
    static let lowest: Float = -87.33654
    static let magic: Float = 12_582_912  // 1.5 x 2^23: adding it rounds to an integer

    /// e^v for v <= 88.7; 0 below -87.3 (where expf underflows too).
    @inline(__always)
    public static func exp(_ v0: Float) -> Float {
        let v = v0 < lowest ? lowest : (v0 > 88.72283 ? 88.72283 : v0)
        let t = v * 1.442_695_04 + magic
        let fx = t - magic
        let n = t.bitPattern &- magic.bitPattern
        var x = v - fx * 0.693_359_375
        x = x - fx * -2.121_944_4e-4
        let z = x * x
        var y: Float = 1.987_569_15e-4
        y = y * x + 1.398_199_95e-3
        y = y * x + 8.333_451_9e-3
        y = y * x + 4.166_579_6e-2
        y = y * x + 1.666_666_55e-1
        y = y * x + 5.000_000_1e-1
        y = y * z + x + 1
        let scale = Float(bitPattern: (n &+ 127) &<< 23)
        return v0 < lowest ? 0 : y * scale
    }

    /// Natural logarithm of a positive normal Float (Cephes' logf: mantissa in [sqrt(1/2),
    /// sqrt(2)), degree-9 polynomial, exponent times ln 2 split in two parts), branch-free
    /// so that loops over it vectorise. Accurate to about 1 ulp; callers floor their inputs.
    @inline(__always)
    public static func log(_ v: Float) -> Float {
        let bits = v.bitPattern
        var e = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 126)
        var x = Float(bitPattern: (bits & 0x807F_FFFF) | 0x3F00_0000)  // in [0.5, 1)
        let small = x < 0.707_106_78
        e = small ? e - 1 : e
        x = small ? x + x - 1 : x - 1
        let z = x * x
        var y: Float = 7.037_683_629_2e-2
        y = y * x - 1.151_461_031_0e-1
        y = y * x + 1.167_699_874_0e-1
        y = y * x - 1.242_014_084_6e-1
        y = y * x + 1.424_932_278_7e-1
        y = y * x - 1.666_805_766_5e-1
        y = y * x + 2.000_071_476_5e-1
        y = y * x - 2.499_999_399_3e-1
        y = y * x + 3.333_333_117_4e-1
        y = y * x * z
        y += -2.121_944_4e-4 * e
        y += -0.5 * z
        return x + y + 0.693_359_375 * e
    }

    /// Log-sum-exp of each row of a rows x cols block into `out` (the block is left as it was).
    @inline(__always)
    public static func logSumExpRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Double>) {
        spk_logsumexp_rows(x, Int32(rows), Int32(columns), out)
    }

    /// Sum of n values, with eight partial sums so the adds pipeline (and vectorise).
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
        var a4: Float = 0, a5: Float = 0, a6: Float = 0, a7: Float = 0
        var i = 0
        while i + 8 <= n {
            a0 += x[i]
            a1 += x[i + 1]
            a2 += x[i + 2]
            a3 += x[i + 3]
            a4 += x[i + 4]
            a5 += x[i + 5]
            a6 += x[i + 6]
            a7 += x[i + 7]
            i += 8
        }
        var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
        while i < n {
            s += x[i]
            i += 1
        }
        return s
    }

}
