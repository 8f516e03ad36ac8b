import CKernels
import Foundation
import Testing
@testable import SpeakerID

/// The kernels of top-C scoring with shared variances (`spk_shared_variance_group`,
/// `spk_topc_lse_rows`) against the same arithmetic written out in Swift, bit for bit. Components
/// chosen by 1 to 40 frames put the products on both layouts the AVX-512 and AVX2 paths pick
/// between (speakers in the lanes for most counts, frame tiles for others); every path this CPU
/// runs is checked, and a dimension above the lane layout's limit and groups of fewer than 32
/// (and fewer than 16) speakers are included.
struct SharedVarianceKernelTests {
    @Test(arguments: [(32, 63), (13, 63), (20, 63), (32, 7), (5, 130)])
    func groupProductsAreTheFusedChainInOrder(speakers n: Int, dimension w: Int) {
        var rng = SeededRandom(seed: UInt64(n * 1000 + w))
        let counts = [0, 1, 2, 3, 0, 5, 7, 11, 12, 13, 16, 17, 23, 24, 25, 31, 32, 33, 40, 0]
        let K = counts.count
        var offsets = [0]
        for m in counts { offsets.append(offsets.last! + m) }
        let pairs = offsets[K]
        let means = (0..<n).map { _ in (0..<(K * w)).map { _ in Float(rng.nextGaussian() * 3) } }
        let scaled = (0..<(pairs * w)).map { _ in Float(rng.nextGaussian()) }  // per component: w x m
        let S = n + 3  // constants are K x S; the group reads columns 0..<n
        let constants = (0..<(K * S)).map { _ in Float(rng.nextGaussian() * 10) }
        let quadratic = (0..<pairs).map { _ in Float(-50 * rng.nextUnit()) }
        let L = Int(SPK_SPEAKER_GROUP)
        var product = [Float](repeating: 0, count: L * max(1, counts.max()!))
        let paths = [SPK_KERNEL_AVX512, SPK_KERNEL_AVX2, SPK_KERNEL_PORTABLE].map { Int32($0) }.filter { spk_kernel_supported($0) != 0 }
        #expect(paths.contains(Int32(SPK_KERNEL_PORTABLE)))
        for path in paths {
            var selected = [Float](repeating: .nan, count: L * pairs)
            means.withUnsafeBufferPointers { rows in
                spk_shared_variance_group_path(
                    path, Int32(n), Int32(K), Int32(w), rows, offsets, scaled, constants, S, quadratic,
                    &product, &selected)
            }
            var wrong = 0
            for k in 0..<K {
                let o = offsets[k], m = counts[k]
                for i in 0..<m {
                    for s in 0..<n {
                        var acc: Float = 0
                        for p in 0..<w { acc = acc.addingProduct(means[s][k * w + p], scaled[w * o + p * m + i]) }
                        let expected = acc + constants[k * S + s] + quadratic[o + i]
                        if selected[(o + i) * L + s].bitPattern != expected.bitPattern { wrong += 1 }
                    }
                }
            }
            #expect(wrong == 0, "\(wrong) of \(pairs * n) values differ (kernel path \(path))")
        }
    }

    /// The row-wise log-sum-exp is the formula written out in Swift with VectorMath's exp and
    /// log: the maximum of the C values, the exponentials summed in rank order, bit for bit.
    @Test func rowLogSumExpIsTheFormula() {
        var rng = SeededRandom(seed: 5)
        let L = Int(SPK_SPEAKER_GROUP), C = 5, n = 300, speakers = 27
        // Pairs in a shuffled order, as grouping by component leaves them.
        var order = Array(0..<(n * C))
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        var position = [Int](repeating: 0, count: n * C)
        for (at, p) in order.enumerated() { position[p] = at }
        var selected = (0..<(n * C * L)).map { _ in Float(-40 - 30 * rng.nextUnit()) }
        selected[position[7 * C + 2] * L + 3] = -200  // far below its frame's best: its exp underflows
        selected[position[9 * C] * L + 4] = selected[position[9 * C + 1] * L + 4]  // a tie
        let subtract = (0..<n).map { _ in -45 - 10 * rng.nextUnit() }
        var out = [Double](repeating: .nan, count: speakers * n)
        spk_topc_lse_rows(selected, position, Int32(C), Int32(n), Int32(speakers), subtract, &out)
        var wrong = 0
        for s in 0..<speakers {
            for t in 0..<n {
                let x = (0..<C).map { j in selected[position[t * C + j] * L + s] }
                var m = x[0]
                for j in 1..<C where x[j] > m { m = x[j] }
                var sum: Float = 0
                for j in 0..<C { sum += VectorMath.exp(x[j] - m) }
                let expected = Double(m) + Double(VectorMath.log(sum)) - subtract[t]
                if out[s * n + t].bitPattern != expected.bitPattern { wrong += 1 }
            }
        }
        #expect(wrong == 0, "\(wrong) of \(speakers * n) log-sum-exps differ")
    }
}

extension Array where Element == [Float] {
    /// Runs `body` with a C array of pointers to each inner array's storage.
    fileprivate func withUnsafeBufferPointers<R>(_ body: ([UnsafePointer<Float>?]) -> R) -> R {
        func nest(_ i: Int, _ collected: inout [UnsafePointer<Float>?]) -> R {
            if i == count { return body(collected) }
            return self[i].withUnsafeBufferPointer { p in
                collected.append(p.baseAddress)
                defer { collected.removeLast() }
                return nest(i + 1, &collected)
            }
        }
        var collected: [UnsafePointer<Float>?] = []
        return nest(0, &collected)
    }
}
