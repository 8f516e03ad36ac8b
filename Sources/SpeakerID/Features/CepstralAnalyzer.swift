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
    /// The DCT-II matrix transposed: filters x rows (rows = coefficients, plus c0 when
    /// requested as row 0), so the transform accumulates whole output rows per filter.
    let dctTransposed: [Float]
    /// Filter weights laid end to end, with each filter's first FFT bin and offset into them.
    let melWeights: [Float]
    let melFirstBin: [Int]
    let melOffset: [Int]
    let dctRows: Int
    let firstCoefficient: Int
    let lifter: [Float]
    let plan: FFTPlan

    /// Validates `options` and precomputes the window, filterbank, DCT, lifter and FFT plan.
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
                d[m * dctRows + r] = Float(scale * cos(Double.pi * Double(k) * (Double(m) + 0.5) / Double(M)))
            }
        }
        dctTransposed = d
        melWeights = filterbank.weights.flatMap { $0 }
        melFirstBin = filterbank.firstBin
        melOffset = filterbank.weights.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let Q = options.cepstral.lifter
        let first = firstCoefficient
        lifter = (0..<dctRows).map { r in
            let k = Double(r + first)
            return Q > 0 ? Float(1 + Q / 2 * sin(Double.pi * k / Q)) : 1
        }
        plan = FFTPlan.forSize(nfft, batch: CepstralAnalyzer.batch)
    }
}

/// One thread's working state for computing static cepstra frame by frame, with no
/// allocation per frame.
///
/// The transform's tables are copied into raw buffers owned by the analyzer: reading them
/// through Swift arrays of a shared value would retain and release each array on every frame,
/// which costs more than the arithmetic of the smaller steps.
final class CepstralAnalyzer {
    let t: CepstralTransform
    /// Frames transformed per FFT call.
    static let batch = 16

    private let fft: FFTBuffers
    private let L: Int, bins: Int, M: Int, rows: Int, fftSize: Int
    private let preEmphasis: Float, removeDC: Bool, logFloor: Float, logFloorD: Double
    private let energyTerm: EnergyTerm, useLifter: Bool
    private let window: UnsafeMutableBufferPointer<Float>
    private let melWeights: UnsafeMutableBufferPointer<Float>
    private let melFirstBin: UnsafeMutableBufferPointer<Int>
    private let melOffset: UnsafeMutableBufferPointer<Int>
    private let dct: UnsafeMutableBufferPointer<Float>
    private let lifter: UnsafeMutableBufferPointer<Float>
    private let power: UnsafeMutableBufferPointer<Float>
    private let logMel: UnsafeMutableBufferPointer<Float>

    /// Log mel energies of the last analysed frame (read by tests).
    var mel: [Float] { Array(logMel) }

    private static func copy<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
        let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(a.count, 1))
        _ = p.initialize(from: a)
        return p
    }

    init(_ transform: CepstralTransform) {
        t = transform
        let o = transform.options
        fft = FFTBuffers(plan: transform.plan)
        L = o.framing.frameLength
        fftSize = o.framing.fftSize
        bins = fftSize / 2 + 1
        M = o.filterbank.filters
        rows = transform.dctRows
        preEmphasis = Float(o.framing.preEmphasis)
        removeDC = o.framing.removeDCOffset
        logFloor = Float(o.filterbank.logFloor)
        logFloorD = o.filterbank.logFloor
        energyTerm = o.cepstral.energy
        useLifter = o.cepstral.lifter > 0
        window = Self.copy(transform.window)
        melWeights = Self.copy(transform.melWeights)
        melFirstBin = Self.copy(transform.melFirstBin)
        melOffset = Self.copy(transform.melOffset)
        dct = Self.copy(transform.dctTransposed)
        lifter = Self.copy(transform.lifter)
        power = Self.copy([Float](repeating: 0, count: bins))
        logMel = Self.copy([Float](repeating: 0, count: M))
    }

    deinit {
        for p in [window, melWeights, dct, lifter, power, logMel] { p.deallocate() }
        melFirstBin.deallocate()
        melOffset.deallocate()
    }

    /// Analyses `count` frames starting every `shift` samples from `samples`, writing each
    /// frame's static features to `out` (rows of staticDimension) and its mean power in dBFS
    /// to `powerDB`.
    func analyze(_ samples: UnsafePointer<Float>, count: Int, shift: Int,
                 out: UnsafeMutablePointer<Float>, powerDB: UnsafeMutablePointer<Double>) {
        let dim = t.options.staticDimension
        var energies = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        withUnsafeMutableBytes(of: &energies) { raw in
            let e = raw.baseAddress!.assumingMemoryBound(to: Double.self)
            var start = 0
            while start < count {
                let n = min(Self.batch, count - start)
                for i in 0..<n { e[i] = prepare(frame: samples + (start + i) * shift, slot: i) }
                fft.execute()
                for i in 0..<n { powerDB[start + i] = finish(slot: i, energy: e[i], out: out + (start + i) * dim) }
                start += n
            }
        }
    }

    /// Analyses the single frame at `frame` (for tests).
    func analyze(frame: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) -> Double {
        let e = prepare(frame: frame, slot: 0)
        fft.execute()
        return finish(slot: 0, energy: e, out: out)
    }

    /// Removes the DC offset, pre-emphasises and windows one frame into FFT input `slot`;
    /// returns the frame's energy (after DC removal, before pre-emphasis).
    ///
    /// Every loop is written to vectorise: partial sums instead of one running sum, the
    /// pre-emphasis read from memory rather than carried.
    @inline(__always)
    private func prepare(frame: UnsafePointer<Float>, slot: Int) -> Double {
        let mean: Float = removeDC ? VectorMath.sum(frame, count: L) / Float(L) : 0
        var e0: Float = 0, e1: Float = 0, e2: Float = 0, e3: Float = 0
        var n = 0
        while n + 4 <= L {
            let a = frame[n] - mean, b = frame[n + 1] - mean, c = frame[n + 2] - mean, d = frame[n + 3] - mean
            e0 += a * a; e1 += b * b; e2 += c * c; e3 += d * d
            n += 4
        }
        while n < L {
            let a = frame[n] - mean
            e0 += a * a
            n += 1
        }
        // y[n] = (x[n] - m) - pre (x[n-1] - m) = x[n] - pre x[n-1] - m (1 - pre); the first
        // sample is pre-emphasised against itself.
        let pre = preEmphasis, bias = mean * (1 - pre)
        let inp = fft.input + slot * fftSize, w = window.baseAddress!
        inp[0] = (frame[0] * (1 - pre) - bias) * w[0]
        for n in 1..<L { inp[n] = (frame[n] - pre * frame[n - 1] - bias) * w[n] }
        return Double((e0 + e1) + (e2 + e3))
    }

    /// Power spectrum, log mel energies and cepstra of transformed `slot` into `out`; returns
    /// the frame's mean power in dBFS (-inf for digital silence).
    @inline(__always)
    private func finish(slot: Int, energy: Double, out: UnsafeMutablePointer<Float>) -> Double {
        let c = UnsafeMutableRawPointer(fft.output + slot * bins).assumingMemoryBound(to: Float.self)
        let p = power.baseAddress!
        for k in 0..<bins { p[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1] }
        let e = logMel.baseAddress!, w = melWeights.baseAddress!
        for m in 0..<M {
            let wp = w + melOffset[m], pp = p + melFirstBin[m]
            let count = melOffset[m + 1] - melOffset[m]
            var s0: Float = 0, s1: Float = 0
            var j = 0
            while j + 2 <= count {
                s0 += wp[j] * pp[j]
                s1 += wp[j + 1] * pp[j + 1]
                j += 2
            }
            if j < count { s0 += wp[j] * pp[j] }
            e[m] = max(s0 + s1, logFloor)
        }
        for m in 0..<M { e[m] = VectorMath.log(e[m]) }
        var dst = out
        if energyTerm == .logEnergy {
            out[0] = Float(log(max(energy, logFloorD)))
            dst = out + 1
        }
        let R = rows, d = dct.baseAddress!
        for r in 0..<R { dst[r] = 0 }
        for m in 0..<M {
            let em = e[m], col = d + m * R
            for r in 0..<R { dst[r] += col[r] * em }
        }
        if useLifter {
            for r in 0..<R { dst[r] *= lifter[r] }
        }
        return energy > 0 ? 10 * log10(energy / Double(L)) : -.infinity
    }
}
