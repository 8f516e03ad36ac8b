import CKernels
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
        filterbank = MelFilterbank(
            filters: options.filterbank.filters, fftSize: nfft,
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
/// The arithmetic is the C kernels of `Sources/CKernels/cepstral.c` (compiled for AVX-512, AVX2
/// and baseline, the same bits on each): `spk_cep_prepare` removes the DC, measures the energy,
/// pre-emphasises and windows a batch of frames into the FFT input, FFTW transforms the batch,
/// and `spk_cep_finish` turns the spectra into cepstra, 16 frames a vector. The transform's
/// tables are copied into raw buffers owned by the analyzer, which the kernels borrow.
final class CepstralAnalyzer {
    let t: CepstralTransform
    /// Frames transformed per FFT call (the lanes of `spk_cep_finish`).
    static let batch = Int(SPK_CEP_LANES)

    private let fft: FFTBuffers
    private let L: Int, M: Int, logFloorD: Double
    private let energyTerm: EnergyTerm
    private let tables: UnsafeMutablePointer<spk_cep_tables>
    private let window: UnsafeMutableBufferPointer<Float>
    private let melWeights: UnsafeMutableBufferPointer<Float>
    private let melFirstBin: UnsafeMutableBufferPointer<Int32>
    private let melOffset: UnsafeMutableBufferPointer<Int32>
    private let dct: UnsafeMutableBufferPointer<Float>
    private let lifter: UnsafeMutableBufferPointer<Float>
    /// Scratch: the batch's power spectra, bin-major (bins x batch).
    private let power: UnsafeMutableBufferPointer<Float>
    /// The batch's log mel energies, filter-major (filters x batch).
    private let logMel: UnsafeMutableBufferPointer<Float>
    private let energies: UnsafeMutableBufferPointer<Float>
    /// The first sample of each frame of a batch.
    private let frameStarts: UnsafeMutableBufferPointer<UnsafePointer<Float>?>
    /// The lane of the last frame analysed, for `mel`.
    private var lastSlot = 0

    /// Log mel energies of the last analysed frame (read by tests).
    var mel: [Float] { (0..<M).map { logMel[$0 * Self.batch + lastSlot] } }

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
        let fftSize = o.framing.fftSize, bins = fftSize / 2 + 1
        M = o.filterbank.filters
        logFloorD = o.filterbank.logFloor
        energyTerm = o.cepstral.energy
        window = Self.copy(transform.window)
        melWeights = Self.copy(transform.melWeights)
        // Bins and offsets are below fftSize x filters: FrontEndOptions.validate bounds both.
        melFirstBin = Self.copy(transform.melFirstBin.map { Int32($0) })
        melOffset = Self.copy(transform.melOffset.map { Int32($0) })
        dct = Self.copy(transform.dctTransposed)
        lifter = Self.copy(transform.lifter)
        power = Self.copy([Float](repeating: 0, count: bins * Self.batch))
        logMel = Self.copy([Float](repeating: 0, count: M * Self.batch))
        energies = Self.copy([Float](repeating: 0, count: Self.batch))
        frameStarts = Self.copy([UnsafePointer<Float>?](repeating: nil, count: Self.batch))
        tables = .allocate(capacity: 1)
        tables.initialize(
            to: spk_cep_tables(
                frame_length: Int32(L), fft_size: Int32(fftSize), bins: Int32(bins), filters: Int32(M),
                rows: Int32(transform.dctRows), remove_dc: o.framing.removeDCOffset ? 1 : 0,
                pre_emphasis: Float(o.framing.preEmphasis), log_floor: Float(o.filterbank.logFloor),
                window: window.baseAddress, mel_weights: melWeights.baseAddress,
                mel_first_bin: melFirstBin.baseAddress, mel_offset: melOffset.baseAddress,
                dct: dct.baseAddress, lifter: o.cepstral.lifter > 0 ? lifter.baseAddress : nil))
    }

    deinit {
        tables.deinitialize(count: 1)
        tables.deallocate()
        for p in [window, melWeights, dct, lifter, power, logMel, energies] { p.deallocate() }
        melFirstBin.deallocate()
        melOffset.deallocate()
        frameStarts.deallocate()
    }

    /// Analyses `count` frames starting every `shift` samples from `samples`, writing each
    /// frame's static features to `out` (rows of staticDimension) and its mean power in dBFS
    /// to `powerDB`.
    func analyze(
        _ samples: UnsafePointer<Float>, count: Int, shift: Int,
        out: UnsafeMutablePointer<Float>, powerDB: UnsafeMutablePointer<Double>
    ) {
        analyze(head: samples, headCount: 0, samples, count: count, shift: shift, out: out, powerDB: powerDB)
    }

    /// Analyses `headCount` frames starting every `shift` samples from `head`, then `count`
    /// frames every `shift` samples from `samples`, in one run of batches (so that frames from
    /// two buffers share FFT batches), writing rows of `out` and `powerDB` in that order.
    func analyze(
        head: UnsafePointer<Float>, headCount: Int, _ samples: UnsafePointer<Float>, count: Int, shift: Int,
        out: UnsafeMutablePointer<Float>, powerDB: UnsafeMutablePointer<Double>
    ) {
        let dim = t.options.staticDimension
        let first = energyTerm == .logEnergy ? 1 : 0
        let spectra = UnsafeRawPointer(fft.output).assumingMemoryBound(to: Float.self)
        let e = energies.baseAddress!, starts = frameStarts.baseAddress!
        let total = headCount + count
        var start = 0
        while start < total {
            let n = min(Self.batch, total - start)
            for i in 0..<n {
                let f = start + i
                starts[i] = f < headCount ? head + f * shift : samples + (f - headCount) * shift
            }
            spk_cep_prepare(tables, starts, Int32(n), fft.input, e)
            fft.execute()
            let rows = out + start * dim
            spk_cep_finish(tables, spectra, Int32(n), power.baseAddress!, logMel.baseAddress!, rows + first, dim)
            for i in 0..<n {
                let energy = Double(e[i])
                if first == 1 { rows[i * dim] = Float(log(max(energy, logFloorD))) }
                powerDB[start + i] = energy > 0 ? 10 * log10(energy / Double(L)) : -.infinity
            }
            lastSlot = n - 1
            start += n
        }
    }

    /// Analyses the single frame at `frame` (for tests); returns its mean power in dBFS.
    func analyze(frame: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) -> Double {
        var db = 0.0
        analyze(frame, count: 1, shift: L, out: out, powerDB: &db)
        return db
    }
}
