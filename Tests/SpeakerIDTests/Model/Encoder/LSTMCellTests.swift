import CKernels
import Foundation
import Testing
@testable import SpeakerID

/// The LSTM cell update the encoder runs in C (`spk_lstm_cell_path`): the same bits on every
/// kernel path as the scalar definition written here in Swift on `fastExp`, and within Float
/// rounding of the cell computed with libm in Double.
struct LSTMCellTests {
    static let paths = ProductKernel.allCases.compactMap { $0.isSupported ? $0.path : nil }

    struct Cell {
        var c: [Float]
        var hidden: [Float]
        var out: [Float]
    }

    /// The definition: sigmoid 1 / (1 + e^-x), tanh 1 - 2 / (e^2x + 1), on `fastExp`.
    static func definition(h: Int, g: [Float], p: [Float], bias: [Float], c: [Float]) -> Cell {
        func sigmoid(_ x: Float) -> Float { 1 / (1 + fastExp(-x)) }
        func tanh(_ x: Float) -> Float { 1 - 2 / (fastExp(2 * x) + 1) }
        var cell = Cell(c: c, hidden: [Float](repeating: 0, count: h), out: [Float](repeating: 0, count: h))
        for j in 0..<h {
            let gi = g[j] + p[j] + bias[j]
            let gf = g[h + j] + p[h + j] + bias[h + j]
            let gg = g[2 * h + j] + p[2 * h + j] + bias[2 * h + j]
            let go = g[3 * h + j] + p[3 * h + j] + bias[3 * h + j]
            let next = sigmoid(gf) * c[j] + sigmoid(gi) * tanh(gg)
            cell.c[j] = next
            cell.hidden[j] = sigmoid(go) * tanh(next)
            cell.out[j] = cell.hidden[j]
        }
        return cell
    }

    static func run(path: Int32, h: Int, g: [Float], p: [Float], bias: [Float], c: [Float]) -> Cell {
        var cell = Cell(c: c, hidden: [Float](repeating: .nan, count: h), out: [Float](repeating: .nan, count: h))
        spk_lstm_cell_path(path, Int32(h), g, p, bias, &cell.c, &cell.hidden, &cell.out)
        return cell
    }

    /// Hidden sizes with and without a vector tail; gate inputs from saturated to near zero.
    @Test(arguments: [256, 13, 1])
    func everyPathGivesTheDefinitionsBits(h: Int) {
        var r = SeededRandom(seed: UInt64(h))
        var g = (0..<(4 * h)).map { _ in Float(r.nextGaussian() * 4) }
        if h > 4 {
            g[0] = 100
            g[1] = -100
            g[h] = 0
            g[2 * h + 2] = 1e-8
        }
        let p = (0..<(4 * h)).map { _ in Float(r.nextGaussian()) }
        let bias = (0..<(4 * h)).map { _ in Float(r.nextGaussian() * 0.5) }
        let c = (0..<h).map { _ in Float(r.nextGaussian() * 2) }
        let want = Self.definition(h: h, g: g, p: p, bias: bias, c: c)
        #expect(Self.paths.contains(Int32(SPK_KERNEL_PORTABLE)))
        for path in Self.paths {
            let got = Self.run(path: path, h: h, g: g, p: p, bias: bias, c: c)
            #expect(got.c.map(\.bitPattern) == want.c.map(\.bitPattern), "path \(path): cell state")
            #expect(got.hidden.map(\.bitPattern) == want.hidden.map(\.bitPattern), "path \(path): hidden state")
            #expect(got.out == got.hidden, "path \(path): output")
        }
        // Against libm in Double.
        func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        for j in 0..<h {
            let gate = { (k: Int) in Double(g[k * h + j]) + Double(p[k * h + j]) + Double(bias[k * h + j]) }
            let cell = sigmoid(gate(1)) * Double(c[j]) + sigmoid(gate(0)) * Foundation.tanh(gate(2))
            let hidden = sigmoid(gate(3)) * Foundation.tanh(cell)
            #expect(abs(Double(want.c[j]) - cell) <= 2e-6 * max(1, abs(cell)), "cell \(j)")
            #expect(abs(Double(want.hidden[j]) - hidden) <= 2e-6, "hidden \(j)")
        }
    }
}
