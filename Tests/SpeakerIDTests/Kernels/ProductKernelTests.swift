import Foundation
import Testing
@testable import SpeakerID

/// SpeakerID's matrix product: one fused multiply-add chain per element, the same bits on every
/// kernel path (AVX-512, AVX2+FMA, portable), checked against Swift's own fused multiply-add.
struct ProductKernelTests {
    static let exactPaths = ProductKernel.allCases.filter { $0 != .openblas && $0.isSupported }

    /// The definition, written independently of the C code: `addingProduct` is IEEE fusedMultiplyAdd.
    static func reference(_ a: [Float], _ bt: [Float], n: Int, k: Int, w: Int) -> [Float] {
        var c = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            for j in 0..<k {
                var s: Float = 0
                for p in 0..<w { s = s.addingProduct(a[i * w + p], bt[p * k + j]) }
                c[i * k + j] = s
            }
        }
        return c
    }

    /// Shapes with every tail of the 8 x 32 and 6 x 16 tiles: rows, columns and inner lengths
    /// below, at and above the tile sizes; and the strips of up to 12 rows (AVX-512) or 5 (AVX2),
    /// up to 128 columns a strip with partly or wholly masked tails, that an LSTM step of 1-12
    /// windows takes.
    @Test(arguments: [
        (1, 1, 1), (5, 15, 3), (8, 32, 79), (9, 33, 127), (13, 17, 256), (6, 16, 39), (7, 100, 64), (256, 64, 79), (80, 513, 40),
        (1, 1024, 256), (2, 1024, 256), (3, 1024, 256), (4, 1024, 256), (2, 129, 17), (4, 81, 5), (6, 49, 3), (15, 200, 9),
        (12, 1024, 256), (10, 70, 5), (11, 40, 3),
    ])
    func everyPathComputesTheSameFusedChain(n: Int, k: Int, w: Int) {
        var r = SeededRandom(seed: UInt64(n * 1_000_003 + k * 1009 + w))
        let a = (0..<(n * w)).map { _ in Float(r.nextGaussian()) }
        let bt = (0..<(w * k)).map { _ in Float(r.nextGaussian() * 3) }
        let ref = Self.reference(a, bt, n: n, k: k, w: w)
        #expect(Self.exactPaths.contains(.portable))
        for path in Self.exactPaths {
            var c = [Float](repeating: .nan, count: n * k)
            GEMMKernels.own(a, bt, &c, n, w, k, kernel: path)
            let mismatches = zip(c, ref).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(mismatches == 0, "\(path.rawValue): \(mismatches) of \(n * k) elements differ from the fused chain")
        }
    }

    /// Leading dimensions larger than the row: only the addressed window is read and written.
    @Test func stridedOperandsTouchOnlyTheirWindow() {
        let n = 11, k = 21, w = 9, lda = 13, ldb = 40, ldc = 25
        var r = SeededRandom(seed: 3)
        let a = (0..<(n * lda)).map { _ in Float(r.nextGaussian()) }
        let bt = (0..<(w * ldb)).map { _ in Float(r.nextGaussian()) }
        let dense = Self.reference(
            (0..<n).flatMap { i in a[(i * lda)..<(i * lda + w)] },
            (0..<w).flatMap { p in bt[(p * ldb)..<(p * ldb + k)] }, n: n, k: k, w: w)
        for path in Self.exactPaths {
            var c = [Float](repeating: -7, count: n * ldc)
            a.withUnsafeBufferPointer { ab in
                bt.withUnsafeBufferPointer { bb in
                    c.withUnsafeMutableBufferPointer { cb in
                        path.multiply(n: n, k: k, w: w, a: ab.baseAddress!, lda: lda, bt: bb.baseAddress!, ldb: ldb, c: cb.baseAddress!, ldc: ldc)
                    }
                }
            }
            for i in 0..<n {
                #expect(
                    Array(c[(i * ldc)..<(i * ldc + k)]).map(\.bitPattern) == Array(dense[(i * k)..<(i * k + k)]).map(\.bitPattern),
                    "\(path.rawValue) row \(i)")
                #expect(c[(i * ldc + k)..<(i * ldc + ldc)].allSatisfy { $0 == -7 }, "\(path.rawValue) wrote past row \(i)")
            }
        }
    }

    /// k-means initialisation and EM (E step, M step) on every kernel path give the same model,
    /// bit for bit: a UBM does not depend on the CPU it was trained on.
    @Test func trainingIsTheSameOnEveryPath() async throws {
        let data = mixtureSample(
            n: 3000, weights: [0.3, 0.7], means: [[Double](repeating: -1, count: 13), [Double](repeating: 2, count: 13)],
            sds: [[Double](repeating: 1, count: 13), [Double](repeating: 0.5, count: 13)], seed: 9)
        var em = EMOptions()
        em.components = 37
        em.maxIterations = 3
        em.seed = 4
        var models: [(ProductKernel, DiagGMM)] = []
        for path in Self.exactPaths {
            let g = try await MatrixProduct.$kernel.withValue(path) { try await EMTrainer(options: em).train(data, threads: 2).model }
            models.append((path, g))
        }
        #expect(models.count >= 1)
        for (path, g) in models.dropFirst() {
            #expect(g.means.map(\.bitPattern) == models[0].1.means.map(\.bitPattern), "\(path.rawValue) vs \(models[0].0.rawValue): means differ")
            #expect(g.variances.map(\.bitPattern) == models[0].1.variances.map(\.bitPattern), "\(path.rawValue): variances differ")
            #expect(g.weights.map(\.bitPattern) == models[0].1.weights.map(\.bitPattern), "\(path.rawValue): weights differ")
        }
    }
}
