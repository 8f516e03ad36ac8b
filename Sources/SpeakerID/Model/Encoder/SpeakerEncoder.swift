import CKernels
import Foundation

/// Resemblyzer 0.1.4's voice encoder (Wan et al., "Generalized end-to-end loss for speaker
/// verification", 2018; weights trained by C. Jemine): three LSTM layers of 256 over 40 mel
/// bands, a linear layer of 256 with ReLU, L2-normalised. An utterance is cut into windows of
/// 160 frames (1.6 s) every 77 frames (1.3 a second); its embedding is the normalised mean of
/// the windows' embeddings.
public struct SpeakerEncoder: Sendable {
    struct Layer: Sendable {
        let inputSize: Int
        /// input x 4H (PyTorch's weight_ih transposed, as the matrix product takes it), gates in
        /// PyTorch's order: input, forget, cell, output; rows `weightStride` apart.
        let inputWeights: [Float]
        /// H x 4H (weight_hh transposed), rows `weightStride` apart.
        let recurrentWeights: [Float]
        /// 4H: PyTorch's two biases summed.
        let bias: [Float]
    }

    public static let sampleRate = 16000
    public static let bands = 40
    public static let windowFrames = 160
    /// Windows per second of audio (resemblyzer's `rate`).
    public static let windowRate = 1.3
    /// The share of a last, incomplete window that must be audio for it to count.
    public static let minimumCoverage = 0.75

    let layers: [Layer]
    let hidden: Int
    /// E x H and E.
    let projection: [Float]
    let projectionBias: [Float]
    /// What this encoder is: its name and the checksum of its file's content.
    public let identity: EncoderIdentity
    public let melSpectrogram = EncoderMelSpectrogram()

    public var embeddingSize: Int { projectionBias.count }

    /// The row stride of the weight matrices in memory: 4H and 16 more floats, so that the rows
    /// a product walks down one column panel do not fall in the same cache sets (4H = 1024
    /// floats is 4 KiB, and every row would).
    static func weightStride(hidden: Int) -> Int { 4 * hidden + 16 }

    /// A dense matrix of 4H columns laid out with rows `weightStride` apart, zeros between.
    static func padded(_ dense: [Float], hidden: Int) -> [Float] {
        let g = 4 * hidden, stride = weightStride(hidden: hidden), rows = dense.count / g
        var out = [Float](repeating: 0, count: rows * stride)
        for r in 0..<rows { for j in 0..<g { out[r * stride + j] = dense[r * g + j] } }
        return out
    }

    /// Floating-point operations of the network on one window, a multiply and an add counted
    /// apart: each layer's input and recurrent products for every frame, then the projection
    /// (the gates' nonlinearities and the mel spectrogram not counted).
    public var flopsPerWindow: Double {
        let steps = Double(Self.windowFrames), gates = Double(4 * hidden)
        let lstm = layers.reduce(0.0) { $0 + 2 * gates * Double($1.inputSize + hidden) * steps }
        return lstm + 2 * Double(embeddingSize * hidden)
    }

    init(layers: [Layer], hidden: Int, projection: [Float], projectionBias: [Float], identity: EncoderIdentity) {
        self.layers = layers.map { layer in
            Layer(
                inputSize: layer.inputSize, inputWeights: Self.padded(layer.inputWeights, hidden: hidden),
                recurrentWeights: Self.padded(layer.recurrentWeights, hidden: hidden), bias: layer.bias)
        }
        self.hidden = hidden
        self.projection = projection
        self.projectionBias = projectionBias
        self.identity = identity
    }

    /// Frames between window starts (77 at 1.3 windows a second).
    static var windowStep: Int { Int((Double(sampleRate) / windowRate / 160).rounded(.toNearestOrEven)) }

    /// Where resemblyzer starts its windows for `samples` samples: every `windowStep` frames,
    /// the last kept only when at least three quarters of it is audio (or when it is the only
    /// one).
    public static func windowStarts(samples: Int) -> [Int] {
        let hop = 160
        let frames = (samples + 1 + hop - 1) / hop
        let step = windowStep
        let steps = max(1, frames - windowFrames + step + 1)
        var starts = Array(stride(from: 0, to: steps, by: step))
        let last = starts[starts.count - 1] * hop
        let coverage = Double(samples - last) / Double(windowFrames * hop)
        if coverage < minimumCoverage && starts.count > 1 { starts.removeLast() }
        return starts
    }

    /// The embedding of a waveform already at 16 kHz and preprocessed, with the embeddings of
    /// its windows. Empty input gives one window of silence, as resemblyzer does; callers refuse
    /// too little speech before.
    public func embed(preprocessed samples: [Float]) -> (embedding: [Float], windows: [[Float]]) {
        let starts = Self.windowStarts(samples: samples.count)
        let needed = (starts[starts.count - 1] + Self.windowFrames) * 160
        var wav = samples
        if needed >= wav.count { wav += [Float](repeating: 0, count: needed - wav.count) }
        let mel = melSpectrogram.frames(of: wav)
        let windows = windowEmbeddings(mel: mel, starts: starts)
        return (Self.normalizedMean(windows), windows)
    }

    /// The L2-normalised mean of unit vectors (computed in Double).
    public static func normalizedMean(_ vectors: [[Float]]) -> [Float] {
        guard let first = vectors.first else { return [] }
        var sum = [Double](repeating: 0, count: first.count)
        for v in vectors { for i in v.indices { sum[i] += Double(v[i]) } }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { Float(norm > 0 ? $0 / norm : 0) }
    }

    /// Window embeddings for windows of `windowFrames` frames at `starts` of a bands-wide,
    /// row-major mel spectrogram; computed a batch of windows at a time.
    public func windowEmbeddings(mel: [Float], starts: [Int]) -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(starts.count)
        let batch = 16
        var i = 0
        while i < starts.count {
            let chunk = Array(starts[i..<min(starts.count, i + batch)])
            out += forward(mel: mel, starts: chunk)
            i += batch
        }
        return out
    }

    /// The network on `starts.count` windows at once: the input projections of all frames as one
    /// matrix product, then 160 recurrent steps each one product of the batch's hidden states.
    func forward(mel: [Float], starts: [Int]) -> [[Float]] {
        let B = starts.count, T = Self.windowFrames, H = hidden, G = 4 * H
        var x = [Float](repeating: 0, count: B * T * Self.bands)
        for (b, s) in starts.enumerated() {
            for t in 0..<T {
                let src = (s + t) * Self.bands, dst = (b * T + t) * Self.bands
                for j in 0..<Self.bands { x[dst + j] = mel[src + j] }
            }
        }
        var h = [Float](repeating: 0, count: B * H)
        let path = MatrixProduct.cellPath
        for layer in layers {
            var projected = [Float](repeating: 0, count: B * T * G)
            x.withUnsafeBufferPointer { xp in
                layer.inputWeights.withUnsafeBufferPointer { wp in
                    projected.withUnsafeMutableBufferPointer { pp in
                        MatrixProduct.multiply(
                            n: B * T, k: G, w: layer.inputSize, a: xp.baseAddress!, lda: layer.inputSize,
                            bt: wp.baseAddress!, ldb: Self.weightStride(hidden: H), c: pp.baseAddress!, ldc: G)
                    }
                }
            }
            var output = [Float](repeating: 0, count: B * T * H)
            var c = [Float](repeating: 0, count: B * H)
            h = [Float](repeating: 0, count: B * H)
            var gates = [Float](repeating: 0, count: B * G)
            for t in 0..<T {
                h.withUnsafeBufferPointer { hp in
                    layer.recurrentWeights.withUnsafeBufferPointer { wp in
                        gates.withUnsafeMutableBufferPointer { gp in
                            MatrixProduct.multiply(
                                n: B, k: G, w: H, a: hp.baseAddress!, lda: H,
                                bt: wp.baseAddress!, ldb: Self.weightStride(hidden: H), c: gp.baseAddress!, ldc: G)
                        }
                    }
                }
                // The cell update, in C so that it vectorises on this CPU's widest units.
                gates.withUnsafeBufferPointer { gp in
                    projected.withUnsafeBufferPointer { pp in
                        layer.bias.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                h.withUnsafeMutableBufferPointer { hp in
                                    output.withUnsafeMutableBufferPointer { op in
                                        guard let g0 = gp.baseAddress, let p0 = pp.baseAddress, let bias = bp.baseAddress,
                                            let c0 = cp.baseAddress, let h0 = hp.baseAddress, let o0 = op.baseAddress
                                        else { return }
                                        for b in 0..<B {
                                            spk_lstm_cell_path(
                                                path, Int32(H), g0 + b * G, p0 + (b * T + t) * G, bias, c0 + b * H, h0 + b * H,
                                                o0 + (b * T + t) * H)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            x = output
        }
        let E = embeddingSize
        var result: [[Float]] = []
        for b in 0..<B {
            var e = [Double](repeating: 0, count: E)
            for i in 0..<E {
                var s = Double(projectionBias[i])
                for j in 0..<H { s += Double(projection[i * H + j]) * Double(h[b * H + j]) }
                e[i] = max(0, s)
            }
            let norm = e.reduce(0) { $0 + $1 * $1 }.squareRoot()
            result.append(e.map { Float(norm > 0 ? $0 / norm : 0) })
        }
        return result
    }
}

/// e^x in Float, within 3 ulp of libm's, as arithmetic that vectorises (libm's expf and tanhf,
/// called per gate, took a fifth of the encoder's time): x = n ln 2 + r with |r| <= ln 2 / 2
/// (ln 2 split in two for the reduction), e^r by its Taylor series to r^7 (truncation below
/// 6e-9 relative), times 2^n built in the exponent bits. Clamped to [-87, 88], where e^x stays
/// a normal Float. The definition the LSTM cell's C code (`spk_lstm_cell_path`: sigmoid
/// 1 / (1 + e^-x), tanh 1 - 2 / (e^2x + 1)) follows operation for operation, checked bit for bit.
@inline(__always) func fastExp(_ x: Float) -> Float {
    let v = min(max(x, -87), 88)
    // Rounded to nearest by adding 1.5 x 2^23: the sum's low mantissa bits are n (no libm call,
    // no trapping conversion, so the loop vectorises).
    let shifted = v * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    let r = (v - n * 0.693_145_75) - n * 1.428_606_8e-6
    var p: Float = 1.0 / 5040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    return p * Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
}

/// Which encoder made an embedding: stored beside every embedding so that embeddings of
/// different encoders are never compared.
public struct EncoderIdentity: Codable, Equatable, Sendable {
    /// e.g. "resemblyzer-0.1.4".
    public var name: String
    /// CRC-64 of the encoder file's weights section, hex.
    public var checksum: String

    /// An identity from an encoder file's name and checksum.
    public init(name: String, checksum: String) {
        self.name = name
        self.checksum = checksum
    }
}
