import CKernels
import Foundation
import Testing
@testable import SpeakerID

/// The C vector kernels of the E step and scoring against the same arithmetic written out in
/// Swift, element by element: the kernels may skip work, never change a bit.
struct VectorKernelTests {
    /// Rows of log-likelihoods: ordinary spreads, spreads far beyond the exponential's underflow
    /// (so whole groups of sixteen are skipped), ties, a row of -inf and a row with a NaN.
    static func rows(cols: Int, seed: UInt64) -> [[Float]] {
        var rng = SeededRandom(seed: seed)
        var out: [[Float]] = []
        for spread in [1.0, 30.0, 200.0, 2000.0] {
            for _ in 0..<6 {
                out.append((0..<cols).map { _ in Float(-spread * rng.nextUnit() - 40) })
            }
        }
        // One component far above the rest: every other group underflows.
        var peaked = [Float](repeating: -500, count: cols)
        peaked[cols / 2] = -3
        out.append(peaked)
        out.append([Float](repeating: -7.25, count: cols))
        var withNaN = out[0]
        withNaN[cols - 1] = .nan
        out.append(withNaN)
        out.append([Float](repeating: -.infinity, count: cols))
        return out
    }

    /// exp(x - shift) over a row as the kernels sum it: sixteen partial sums, then the tail.
    static func referenceExpSum(_ row: [Float], shift: Float) -> (values: [Float], sum: Float) {
        var acc = [Float](repeating: 0, count: 16)
        var values = row
        var i = 0
        while i + 16 <= row.count {
            for j in 0..<16 {
                let e = VectorMath.exp(row[i + j] - shift)
                values[i + j] = e
                acc[j] += e
            }
            i += 16
        }
        var s: Float = 0
        for j in 0..<16 { s += acc[j] }
        while i < row.count {
            let e = VectorMath.exp(row[i] - shift)
            values[i] = e
            s += e
            i += 1
        }
        return (values, s)
    }

    static func maximum(_ row: [Float]) -> Float { row.reduce(-Float.infinity) { $1 > $0 ? $1 : $0 } }

    static func sameBits(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
    static func sameBits(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test(arguments: [5, 16, 64, 77, 512])
    func posteriorsAreTheFormulaBitForBit(cols: Int) {
        let rows = Self.rows(cols: cols, seed: UInt64(cols))
        var block = rows.flatMap { $0 }
        var ll = 0.25
        spk_posteriors_rows(&block, Int32(rows.count), Int32(cols), &ll)
        var expectedLL = 0.25
        for (r, row) in rows.enumerated() {
            let m = Self.maximum(row)
            let (values, s) = Self.referenceExpSum(row, shift: m)
            expectedLL += Double(m) + log(Double(s))
            let inv = 1 / s
            for k in 0..<cols {
                let expected = values[k] * inv
                #expect(Self.sameBits(block[r * cols + k], expected), "row \(r), component \(k): \(block[r * cols + k]) vs \(expected)")
            }
        }
        #expect(Self.sameBits(ll, expectedLL), "\(ll) vs \(expectedLL)")
    }

    @Test(arguments: [5, 16, 64, 77, 512])
    func logSumExpRowsAreTheFormulaBitForBitAndLeaveTheRows(cols: Int) {
        let rows = Self.rows(cols: cols, seed: UInt64(100 + cols))
        let block = rows.flatMap { $0 }
        var work = block
        var out = [Double](repeating: 0, count: rows.count)
        spk_logsumexp_rows(&work, Int32(rows.count), Int32(cols), &out)
        #expect(zip(work, block).allSatisfy { Self.sameBits($0, $1) })
        for (r, row) in rows.enumerated() {
            let m = Self.maximum(row)
            let expected = m == -.infinity ? -Double.infinity : Double(m) + Double(logf(Self.referenceExpSum(row, shift: m).sum))
            #expect(Self.sameBits(out[r], expected), "row \(r): \(out[r]) vs \(expected)")
        }
    }

    @Test func expShiftedSkipsOnlyWhatUnderflows() {
        // Groups of sixteen that all underflow give exact zeros; a group with one survivor is
        // computed in full. The row's maximum (0, in the third group) makes the shift 0.
        var x = [Float](repeating: -100, count: 48)
        x[20] = -87.3
        x[40] = 0
        var ll = 0.0
        spk_posteriors_rows(&x, 1, 48, &ll)
        #expect(x[0..<16].allSatisfy { $0 == 0 } && x[32..<48].enumerated().allSatisfy { $0.offset == 8 ? $0.element == 1 : $0.element == 0 })
        #expect(x[20] == VectorMath.exp(-87.3) && x[20] > 0 && ll == 0)
    }

    @Test func transposeIsATranspose() {
        for (r, c) in [(1, 1), (3, 127), (256, 127), (17, 33)] {
            let a = (0..<(r * c)).map { Float($0) }
            var t = [Float](repeating: -1, count: r * c)
            spk_transpose(a, Int32(r), Int32(c), &t)
            #expect((0..<r).allSatisfy { i in (0..<c).allSatisfy { j in t[j * r + i] == a[i * c + j] } })
        }
    }

    /// ExactSum's rounding without rint agrees with `rounded(.toNearestOrEven)`: ties at every
    /// scale, both signs, and both sides of the 2^51-unit switch to the general path.
    @Test func exactSumRoundsToNearestEven() {
        func reference(_ x: Double) -> ExactSum {
            let u = (x * ExactSum.scale).rounded(.toNearestOrEven)
            if u.magnitude < 0x1p62 {
                let v = Int64(u)
                return ExactSum(high: v < 0 ? -1 : 0, low: UInt64(bitPattern: v))
            }
            let h = (u * 0x1p-64).rounded(.down)
            return ExactSum(high: Int64(h), low: UInt64(u - h * 0x1p64))
        }
        var rng = SeededRandom(seed: 9)
        var xs: [Double] = [0, -0.0, 2, -2, 2.0.nextDown, (-2.0).nextUp, 2.0.nextUp, (-2.0).nextDown, 1e-20, -1e-20, 3e10, -3e10]
        for k in [0, 1, 2, 3, 7, 1 << 20, (1 << 50) - 1, 1 << 50] {
            for sign in [1.0, -1.0] {
                xs.append(sign * (Double(k) + 0.5) * 0x1p-50)  // exact ties
                xs.append(sign * (Double(k) + 0.25) * 0x1p-50)
                xs.append(sign * (Double(k) + 0.75) * 0x1p-50)
            }
        }
        for _ in 0..<20_000 {
            let magnitude = Foundation.pow(2.0, Double(rng.nextUnit()) * 80 - 60)
            xs.append((rng.nextUnit() < 0.5 ? -1 : 1) * magnitude)
        }
        for x in xs {
            #expect(ExactSum(x) == reference(x), "\(x)")
        }
    }
}
