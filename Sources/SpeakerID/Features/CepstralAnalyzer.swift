#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The per-frame part of the front end, precomputed once per configuration: window, filterbank,
/// DCT matrix and lifter. Immutable and shared by every thread.
public struct CepstralTransform: Sendable {
    public let options: FrontEndOptions
    let window: [Float]
    let filterbank: MelFilterbank
    /// (coefficients or coefficients+1) x filters, row-major; row 0 is c0 when requested.
    let dct: [Float]
    let dctRows: Int
    let firstCoefficient: Int
    let lifter: [Float]
    let plan: FFTPlan

    public init(options: FrontEndOptions) throws(FeatureError) {
        try options.validate()
        self.options = options
        let L = options.framing.frameLength
        window = (0..<L).map { n in Float(0.54 - 0.46 * cos(2 * Double.pi * Double(n) / Double(L - 1))) }
        let nfft = options.framing.fftSize
        filterbank = MelFilterbank(filters: options.filterbank.filters, fftSize: nfft,
                                   sampleRate: options.framing.sampleRate,
                                   low: options.filterbank.lowFrequency,
                                   high: options.effectiveHighFrequency)
        let M = options.filterbank.filters
        let N = options.cepstral.coefficients
        firstCoefficient = options.cepstral.energy == .c0 ? 0 : 1
        dctRows = N + 1 - firstCoefficient
        var d = [Float](repeating: 0, count: dctRows * M)
        for r in 0..<dctRows {
            let k = r + firstCoefficient
            let scale = k == 0 ? (1 / Double(M)).squareRoot() : (2 / Double(M)).squareRoot()
            for m in 0..<M {
                d[r * M + m] = Float(scale * cos(Double.pi * Double(k) * (Double(m) + 0.5) / Double(M)))
            }
        }
        dct = d
        let Q = options.cepstral.lifter
        let first = firstCoefficient
        lifter = (0..<dctRows).map { r in
            let k = Double(r + first)
            return Q > 0 ? Float(1 + Q / 2 * sin(Double.pi * k / Q)) : 1
        }
        plan = FFTPlan.forSize(nfft)
    }
}

/// One thread's working state for computing static cepstra frame by frame, with no
/// allocation per frame.
final class CepstralAnalyzer {
    let t: CepstralTransform
    private let fft: FFTBuffers
    private var power: [Float]
    /// Log mel energies of the last analysed frame (read by tests).
    private(set) var mel: [Float]

    init(_ transform: CepstralTransform) {
        t = transform
        fft = FFTBuffers(plan: transform.plan)
        power = [Float](repeating: 0, count: transform.options.framing.fftSize / 2 + 1)
        mel = [Float](repeating: 0, count: transform.options.filterbank.filters)
    }

    /// Computes the static features of the frame starting at `frame[0]` (frameLength samples)
    /// into `out` (staticDimension values) and returns the frame's mean power in dBFS for the VAD.
    @inline(__always)
    func analyze(frame: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) -> Double {
        let o = t.options
        let L = o.framing.frameLength
        // DC removal and energy (accumulated in Double: a frame can hold 16k samples at 768 kHz).
        var mean: Float = 0
        if o.framing.removeDCOffset {
            var s = 0.0
            for n in 0..<L { s += Double(frame[n]) }
            mean = Float(s / Double(L))
        }
        var energy = 0.0
        for n in 0..<L {
            let v = frame[n] - mean
            energy += Double(v * v)
        }
        // Pre-emphasis within the frame (the first sample is pre-emphasised against itself),
        // then the Hamming window, into the zero-padded FFT input.
        let pre = Float(o.framing.preEmphasis)
        let inp = fft.input
        t.window.withUnsafeBufferPointer { w in
            var prev = frame[0] - mean
            for n in 0..<L {
                let x = frame[n] - mean
                inp[n] = (x - pre * prev) * w[n]
                prev = x
            }
        }
        fft.execute()
        let bins = power.count
        power.withUnsafeMutableBufferPointer { p in
            let c = UnsafeMutableRawPointer(fft.output).assumingMemoryBound(to: Float.self)
            for k in 0..<bins {
                let re = c[2 * k], im = c[2 * k + 1]
                p[k] = re * re + im * im
            }
        }
        let floor = Float(o.filterbank.logFloor)
        let M = mel.count
        power.withUnsafeBufferPointer { p in
            mel.withUnsafeMutableBufferPointer { e in
                for m in 0..<M {
                    let first = t.filterbank.firstBin[m]
                    var s: Float = 0
                    t.filterbank.weights[m].withUnsafeBufferPointer { w in
                        for j in 0..<w.count { s += w[j] * p[first + j] }
                    }
                    e[m] = logf(max(s, floor))
                }
            }
        }
        var offset = 0
        if o.cepstral.energy == .logEnergy {
            out[0] = Float(log(max(energy, o.filterbank.logFloor)))
            offset = 1
        }
        let rows = t.dctRows
        mel.withUnsafeBufferPointer { e in
            t.dct.withUnsafeBufferPointer { d in
                t.lifter.withUnsafeBufferPointer { lift in
                    for r in 0..<rows {
                        var s: Float = 0
                        let row = d.baseAddress! + r * M
                        for m in 0..<M { s += row[m] * e[m] }
                        out[offset + r] = s * lift[r]
                    }
                }
            }
        }
        // Mean power in dB relative to full scale; silence is -inf.
        return energy > 0 ? 10 * log10(energy / Double(L)) : -.infinity
    }
}
