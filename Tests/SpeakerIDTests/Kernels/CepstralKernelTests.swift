import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The MFCC front end's C kernels (`Sources/CKernels/cepstral.c`, run through CepstralAnalyzer).
///
/// Which of the kernels' builds runs (AVX-512, AVX2 or baseline) cannot be chosen at run time, so
/// the kernels' results are checked against two references computed here: the Swift loops the
/// kernels replaced (kept below, compiled for the x86-64 baseline like all Swift code) must give
/// the same bits on whatever CPU runs the tests, which shows that CPU's build does the baseline
/// arithmetic; and an independent computation in Double bounds how far the cepstra are from the
/// exact values.
struct CepstralKernelTests {
    /// Front ends with every option the kernels read set both ways: DC removal on and off,
    /// pre-emphasis zero and not, c0 / log-energy / no energy term, lifter on and off, and frame
    /// and FFT sizes whose bins are not a multiple of 16 lanes (all are 16k + 1).
    static let optionSets: [FrontEndOptions] = {
        let a = FrontEndOptions()  // the defaults: 16 kHz, 20 ms, FFT 512, 24 filters, c0-c20
        var b = FrontEndOptions()
        b.cepstral.energy = .logEnergy
        b.cepstral.coefficients = 13
        b.cepstral.lifter = 22
        b.filterbank.filters = 23
        b.framing.preEmphasis = 0
        b.framing.removeDCOffset = false
        b.framing.frameLengthMs = 25
        var c = FrontEndOptions()
        c.framing.sampleRate = 8000
        c.framing.frameLengthMs = 25.125  // 201 samples: every loop has a tail
        c.filterbank.filters = 20
        c.filterbank.highFrequency = 3800
        c.cepstral.coefficients = 12
        c.cepstral.energy = .none
        c.cepstral.lifter = 22
        var d = FrontEndOptions()
        d.framing.sampleRate = 44100
        d.filterbank.filters = 40
        d.filterbank.highFrequency = 8000
        d.cepstral.coefficients = 30
        return [a, b, c, d]
    }()

    /// Speech-like audio, white noise, a loud tone, digital silence, a constant, a whisper and
    /// full-scale square waves, end to end so that frames straddle the changes.
    static func signal(rate: Int, seed: UInt64) -> [Float] {
        var r = SeededRandom(seed: seed)
        var x = SyntheticSpeech.generate(seconds: 0.6, sampleRate: rate, seed: seed)
        x += (0..<(rate / 5)).map { _ in Float(r.nextGaussian() * 0.1) }
        x += sine(1234, seconds: 0.1, rate: rate, amplitude: 0.9)
        x += [Float](repeating: 0, count: rate / 10)
        x += [Float](repeating: 0.25, count: rate / 20)
        x += (0..<(rate / 10)).map { _ in Float(r.nextGaussian() * 1e-6) + 0.01 }
        x += (0..<(rate / 10)).map { Float($0 % 37 < 18 ? 1 : -1) }
        return x
    }

    static func analyze(
        _ analyzer: (UnsafePointer<Float>, Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Double>) -> Void,
        _ x: [Float], options o: FrontEndOptions
    ) -> (features: [Float], powerDB: [Double]) {
        let count = (x.count - o.framing.frameLength) / o.framing.frameShift + 1
        var out = [Float](repeating: .nan, count: count * o.staticDimension)
        var db = [Double](repeating: .nan, count: count)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                db.withUnsafeMutableBufferPointer { dbb in
                    analyzer(xb.baseAddress!, count, o.framing.frameShift, ob.baseAddress!, dbb.baseAddress!)
                }
            }
        }
        return (out, db)
    }

    /// The features are exactly those of the Swift loops the kernels replaced: same bits, for
    /// every option set and kind of audio (bound: zero).
    @Test(arguments: 0..<4)
    func kernelsGiveTheBitsOfThePreviousSwiftLoops(set: Int) throws {
        let o = Self.optionSets[set]
        let t = try CepstralTransform(options: o)
        let x = Self.signal(rate: o.framing.sampleRate, seed: UInt64(11 + set))
        let kernel = CepstralAnalyzer(t), old = SwiftCepstralReference(t)
        let new = Self.analyze({ kernel.analyze($0, count: $1, shift: $2, out: $3, powerDB: $4) }, x, options: o)
        let ref = Self.analyze({ old.analyze($0, count: $1, shift: $2, out: $3, powerDB: $4) }, x, options: o)
        #expect(new.features.count > 100 * o.staticDimension)
        let differing = zip(new.features, ref.features).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(differing == 0, "options \(set): \(differing) of \(new.features.count) values differ from the Swift loops")
        #expect(zip(new.powerDB, ref.powerDB).allSatisfy { $0.bitPattern == $1.bitPattern }, "options \(set): frame powers differ")
        #expect(kernel.mel.map(\.bitPattern) == old.mel.map(\.bitPattern), "options \(set): log mel energies differ")
    }

    /// A frame's features do not depend on its place in a batch of 16 or on the batch's size:
    /// frames analysed together equal the same frames analysed one at a time, bit for bit, and
    /// nothing is written past the last frame.
    @Test func aFrameGivesTheSameBitsInAnyBatchPosition() throws {
        let o = FrontEndOptions()
        let t = try CepstralTransform(options: o)
        let x = Self.signal(rate: o.framing.sampleRate, seed: 5)
        let dim = o.staticDimension, shift = o.framing.frameShift
        let count = 37  // two full batches and a partial one
        let analyzer = CepstralAnalyzer(t)
        var together = [Float](repeating: -7, count: (count + 1) * dim)
        var db = [Double](repeating: 0, count: count)
        x.withUnsafeBufferPointer { xb in
            analyzer.analyze(xb.baseAddress! + 3000, count: count, shift: shift, out: &together, powerDB: &db)
        }
        #expect(together[(count * dim)...].allSatisfy { $0 == -7 }, "wrote past the last frame")
        for i in 0..<count {
            var alone = [Float](repeating: 0, count: dim)
            let p = x.withUnsafeBufferPointer { xb in analyzer.analyze(frame: xb.baseAddress! + 3000 + i * shift, out: &alone) }
            #expect(alone.map(\.bitPattern) == together[(i * dim)..<((i + 1) * dim)].map(\.bitPattern), "frame \(i)")
            #expect(p.bitPattern == db[i].bitPattern, "frame \(i): power")
        }
    }

    /// Cepstra, log mel energies and frame powers against the same definitions computed in
    /// Double (a direct DFT, the filterbank's weights, the DCT and lifter from their formulas).
    /// Bounds: cepstra within 1e-4 of the frame's scale (the larger of the coefficient and the
    /// root mean square of the frame's cepstrum; the errors seen are about 1e-6), log mel
    /// energies within 1e-4, powers within 1e-4 dB.
    @Test(arguments: 0..<4)
    func cepstraMatchADoublePrecisionReference(set: Int) throws {
        let o = Self.optionSets[set]
        let t = try CepstralTransform(options: o)
        let analyzer = CepstralAnalyzer(t)
        var r = SeededRandom(seed: UInt64(100 + set))
        let L = o.framing.frameLength, N = o.framing.fftSize, bins = N / 2 + 1
        let M = o.filterbank.filters, K = o.cepstral.coefficients, dim = o.staticDimension
        // Cosines of the DFT, once per option set.
        let cosTable = (0..<N).map { cos(2 * Double.pi * Double($0) / Double(N)) }
        let sinTable = (0..<N).map { sin(2 * Double.pi * Double($0) / Double(N)) }
        var worstCep = 0.0, worstMel = 0.0, worstDB = 0.0
        let speech = SyntheticSpeech.generate(seconds: 0.5, sampleRate: o.framing.sampleRate, seed: UInt64(set))
        for frame in 0..<12 {
            // Speech frames, noise with an offset, and a tone in noise.
            let x: [Float]
            switch frame % 3 {
            case 0: x = Array(speech[(frame * 200)..<(frame * 200 + L)])
            case 1: x = (0..<L).map { _ in Float(0.05 + r.nextGaussian() * 0.2) }
            default: x = (0..<L).map { n in Float(0.6 * sin(0.37 * Double(n)) + r.nextGaussian() * 0.01) }
            }
            var out = [Float](repeating: 0, count: dim)
            let db = x.withUnsafeBufferPointer { analyzer.analyze(frame: $0.baseAddress!, out: &out) }
            let mel = analyzer.mel

            // The definition in Double.
            let xd = x.map(Double.init)
            let mean = o.framing.removeDCOffset ? xd.reduce(0, +) / Double(L) : 0
            let centred = xd.map { $0 - mean }
            let energy = centred.reduce(0) { $0 + $1 * $1 }
            let pre = o.framing.preEmphasis
            var y = [Double](repeating: 0, count: L)
            for n in 0..<L {
                let previous = n == 0 ? centred[0] : centred[n - 1]
                y[n] = (centred[n] - pre * previous) * (0.54 - 0.46 * cos(2 * Double.pi * Double(n) / Double(L - 1)))
            }
            var power = [Double](repeating: 0, count: bins)
            for k in 0..<bins {
                var re = 0.0, im = 0.0
                for n in 0..<L {
                    let i = (k * n) % N
                    re += y[n] * cosTable[i]
                    im -= y[n] * sinTable[i]
                }
                power[k] = re * re + im * im
            }
            let fb = t.filterbank
            let logMel = (0..<M).map { m in
                let s = fb.weights[m].enumerated().reduce(0.0) { $0 + Double($1.element) * power[fb.firstBin[m] + $1.offset] }
                return log(max(s, o.filterbank.logFloor))
            }
            var ref: [Double] = []
            if o.cepstral.energy == .logEnergy { ref.append(log(max(energy, o.filterbank.logFloor))) }
            for k in (o.cepstral.energy == .c0 ? 0 : 1)...K {
                let scale = k == 0 ? (1 / Double(M)).squareRoot() : (2 / Double(M)).squareRoot()
                var c = 0.0
                for m in 0..<M { c += scale * cos(Double.pi * Double(k) * (Double(m) + 0.5) / Double(M)) * logMel[m] }
                let Q = o.cepstral.lifter
                ref.append(Q > 0 ? c * (1 + Q / 2 * sin(Double.pi * Double(k) / Q)) : c)
            }
            #expect(ref.count == dim)
            let rms = (ref.reduce(0) { $0 + $1 * $1 } / Double(dim)).squareRoot()
            for i in 0..<dim { worstCep = max(worstCep, abs(Double(out[i]) - ref[i]) / max(abs(ref[i]), rms)) }
            for m in 0..<M { worstMel = max(worstMel, abs(Double(mel[m]) - logMel[m])) }
            worstDB = max(worstDB, abs(db - 10 * log10(energy / Double(L))))
        }
        print("cepstral kernel vs Double, options \(set): cepstra \(worstCep), log mel \(worstMel), power \(worstDB) dB")
        #expect(worstCep <= 1e-4, "options \(set): cepstra off by \(worstCep) of their scale")
        #expect(worstMel <= 1e-4, "options \(set): log mel energies off by \(worstMel)")
        #expect(worstDB <= 1e-4, "options \(set): frame power off by \(worstDB) dB")
    }
}

/// Every build of the kernels, not only this CPU's: Tests/Kernels/same_bits.sh compiles
/// cepstral.c once per x86-64 instruction set this CPU can run (and at -O0, and with its
/// target_clones) and runs the same driver against each build.
struct CepstralKernelBuildTests {
    static let repository = Repository.root

    static var clang: String? {
        #if arch(x86_64) && os(Linux)
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map { "\($0)/clang" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        #else
        return nil
        #endif
    }

    @Test(.enabled(if: clang != nil, "needs clang on an x86-64 Linux machine"))
    func everyInstructionSetBuildGivesTheSameBits() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Self.repository.appendingPathComponent("Tests/Kernels/same_bits.sh").path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(p.terminationStatus == 0, "same_bits.sh failed: \(text)")
        let hashes = text.split(separator: "\n").compactMap { $0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) }
        print("cepstral kernels, per build:\n\(text)", terminator: "")
        #expect(hashes.count >= 4, "builds run: \(text)")
        #expect(Set(hashes).count == 1, "the builds disagree:\n\(text)")
    }
}

/// The Swift loops CepstralAnalyzer ran before its arithmetic moved to C (commit 4a259b3), kept
/// verbatim as the reference the kernels must reproduce bit for bit.
final class SwiftCepstralReference {
    let t: CepstralTransform
    static let batch = 16

    private let fft: FFTBuffers
    private let L: Int, bins: Int, M: Int, rows: Int, fftSize: Int
    private let preEmphasis: Float, removeDC: Bool, logFloor: Float, logFloorD: Double
    private let energyTerm: EnergyTerm, useLifter: Bool
    private let window: [Float], melWeights: [Float], melFirstBin: [Int], melOffset: [Int]
    private let dct: [Float], lifter: [Float]
    private var power: [Float]
    private var logMel: [Float]

    var mel: [Float] { logMel }

    init(_ transform: CepstralTransform) {
        t = transform
        let o = transform.options
        fft = FFTBuffers(plan: FFTPlan.forSize(o.framing.fftSize, batch: Self.batch))
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
        window = transform.window
        melWeights = transform.melWeights
        melFirstBin = transform.melFirstBin
        melOffset = transform.melOffset
        dct = transform.dctTransposed
        lifter = transform.lifter
        power = [Float](repeating: 0, count: bins)
        logMel = [Float](repeating: 0, count: M)
    }

    func analyze(
        _ samples: UnsafePointer<Float>, count: Int, shift: Int,
        out: UnsafeMutablePointer<Float>, powerDB: UnsafeMutablePointer<Double>
    ) {
        let dim = t.options.staticDimension
        var e = [Double](repeating: 0, count: Self.batch)
        var start = 0
        while start < count {
            let n = min(Self.batch, count - start)
            for i in 0..<n { e[i] = prepare(frame: samples + (start + i) * shift, slot: i) }
            fft.execute()
            for i in 0..<n { powerDB[start + i] = finish(slot: i, energy: e[i], out: out + (start + i) * dim) }
            start += n
        }
    }

    private func prepare(frame: UnsafePointer<Float>, slot: Int) -> Double {
        let mean: Float = removeDC ? VectorMath.sum(frame, count: L) / Float(L) : 0
        var e0: Float = 0, e1: Float = 0, e2: Float = 0, e3: Float = 0
        var n = 0
        while n + 4 <= L {
            let a = frame[n] - mean, b = frame[n + 1] - mean, c = frame[n + 2] - mean, d = frame[n + 3] - mean
            e0 += a * a
            e1 += b * b
            e2 += c * c
            e3 += d * d
            n += 4
        }
        while n < L {
            let a = frame[n] - mean
            e0 += a * a
            n += 1
        }
        let pre = preEmphasis, bias = mean * (1 - pre)
        let inp = fft.input + slot * fftSize
        inp[0] = (frame[0] * (1 - pre) - bias) * window[0]
        for n in 1..<L { inp[n] = (frame[n] - pre * frame[n - 1] - bias) * window[n] }
        return Double((e0 + e1) + (e2 + e3))
    }

    private func finish(slot: Int, energy: Double, out: UnsafeMutablePointer<Float>) -> Double {
        let c = UnsafeMutableRawPointer(fft.output + slot * bins).assumingMemoryBound(to: Float.self)
        for k in 0..<bins { power[k] = c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1] }
        for m in 0..<M {
            let first = melOffset[m], p0 = melFirstBin[m]
            let count = melOffset[m + 1] - melOffset[m]
            var s0: Float = 0, s1: Float = 0
            var j = 0
            while j + 2 <= count {
                s0 += melWeights[first + j] * power[p0 + j]
                s1 += melWeights[first + j + 1] * power[p0 + j + 1]
                j += 2
            }
            if j < count { s0 += melWeights[first + j] * power[p0 + j] }
            logMel[m] = max(s0 + s1, logFloor)
        }
        for m in 0..<M { logMel[m] = VectorMath.log(logMel[m]) }
        var dst = out
        if energyTerm == .logEnergy {
            out[0] = Float(log(max(energy, logFloorD)))
            dst = out + 1
        }
        let R = rows
        for r in 0..<R { dst[r] = 0 }
        for m in 0..<M {
            let em = logMel[m]
            for r in 0..<R { dst[r] += dct[m * R + r] * em }
        }
        if useLifter {
            for r in 0..<R { dst[r] *= lifter[r] }
        }
        return energy > 0 ? 10 * log10(energy / Double(L)) : -.infinity
    }
}

/// Deltas (`spk_deltas`) and the framer's handling of blocks, against what they replaced.
struct DeltasAndFramingTests {
    /// The Swift loops Deltas.append ran before `spk_deltas` (commit 4a259b3).
    static func swiftDeltas(_ input: FeatureMatrix, order: Int, window: Int) -> FeatureMatrix {
        if order == 0 { return input }
        let T = input.rows, S = input.columns, C = S * (order + 1)
        var out = [Float](repeating: 0, count: T * C)
        let denom = Float(2 * (1...window).reduce(0) { $0 + $1 * $1 })
        for t in 0..<T { for j in 0..<S { out[t * C + j] = input.values[t * S + j] } }
        for level in 1...order {
            let inOff = (level - 1) * S, outOff = level * S
            let scale = 1 / denom
            for t in 0..<T {
                let row = t * C + outOff
                for j in 0..<S { out[row + j] = 0 }
                for n in 1...window {
                    let a = min(t + n, T - 1) * C + inOff, b = max(t - n, 0) * C + inOff
                    let fn = Float(n)
                    for j in 0..<S { out[row + j] += fn * (out[a + j] - out[b + j]) }
                }
                for j in 0..<S { out[row + j] *= scale }
            }
        }
        return FeatureMatrix(rows: T, columns: C, values: out)
    }

    /// Bit for bit the previous loops, for column counts below, at and above 16 lanes, short
    /// inputs (fewer rows than the window) and every order and several windows.
    @Test func deltasGiveTheBitsOfThePreviousSwiftLoops() {
        var r = SeededRandom(seed: 21)
        for (T, S) in [(0, 21), (1, 21), (3, 5), (40, 16), (57, 21), (33, 17), (20, 40), (9, 1)] {
            var m = FeatureMatrix(rows: T, columns: S)
            for t in 0..<T { for j in 0..<S { m[t, j] = Float(r.nextGaussian() * 10) } }
            for order in 0...3 {
                for window in [1, 2, 3, 10] {
                    let new = Deltas.append(to: m, order: order, window: window)
                    let old = Self.swiftDeltas(m, order: order, window: window)
                    #expect(new.rows == old.rows && new.columns == old.columns)
                    #expect(new.values.map(\.bitPattern) == old.values.map(\.bitPattern), "T \(T) S \(S) order \(order) window \(window)")
                }
            }
        }
    }

    /// Audio pushed in blocks of any size (one sample, less than a hop, between a hop and a
    /// frame, several frames) gives the frames and powers of the whole signal pushed at once,
    /// and keeps the same samples for the next frame.
    @Test func blocksOfAnySizeGiveTheFramesOfOneBlock() throws {
        var o = FrontEndOptions()
        o.cepstral.energy = .logEnergy
        let t = try CepstralTransform(options: o)
        let x = CepstralKernelTests.signal(rate: o.framing.sampleRate, seed: 8)
        let whole = Framer(transform: t)
        whole.push(x)
        let (wholeFrames, wholePower) = whole.takeNewFrames()
        #expect(wholeFrames.rows == (x.count - o.framing.frameLength) / o.framing.frameShift + 1)
        var r = SeededRandom(seed: 3)
        for sizes in [[1], [7, 159, 160, 161], [319, 320, 321], [8192], [1, 2000, 3, 40000]] {
            let framer = Framer(transform: t)
            var at = 0, i = 0
            while at < x.count {
                let n = min(x.count - at, sizes[i % sizes.count] + (sizes.count > 1 ? Int(r.next() % 3) : 0))
                framer.push(Array(x[at..<(at + n)]))
                at += n
                i += 1
            }
            let (frames, power) = framer.takeNewFrames()
            #expect(frames.rows == wholeFrames.rows, "blocks \(sizes)")
            #expect(frames.values.map(\.bitPattern) == wholeFrames.values.map(\.bitPattern), "blocks \(sizes): features differ")
            #expect(power.map(\.bitPattern) == wholePower.map(\.bitPattern), "blocks \(sizes): powers differ")
            #expect(framer.pending == whole.pending, "blocks \(sizes): kept samples differ")
        }
    }
}

/// The decoder's mono path (one copy and a bitwise finiteness check per block).
struct DecoderBlockTests {
    /// Infinities and NaNs anywhere in a block are refused; the largest, smallest and subnormal
    /// finite values and negative zero come back unchanged.
    @Test func nonFiniteValuesAreRefusedAndExtremeFiniteOnesKept() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let extremes: [Float] = [
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude,
            .leastNonzeroMagnitude, -.leastNonzeroMagnitude, -0.0, 1, -1,
        ]
        var ok = sine(200, seconds: 1, rate: 16000)
        for (i, v) in extremes.enumerated() { ok[AudioDecoder.blockFrames - 4 + i] = v }
        try AudioWriter.write(ok, sampleRate: 16000, to: dir.file("ok.wav"), format: .wavFloat)
        let back = try AudioDecoder(path: dir.file("ok.wav")).readAll()
        #expect(back.map(\.bitPattern) == ok.map(\.bitPattern))
        for (k, bad) in [Float.infinity, -.infinity, .nan, -.nan].enumerated() {
            for at in [0, 9000, ok.count - 1] {
                var x = ok
                x[at] = bad
                let path = dir.file("bad\(k)-\(at).wav")
                try AudioWriter.write(x, sampleRate: 16000, to: path, format: .wavFloat)
                #expect(throws: AudioError.nonFiniteSamples(path), "\(bad) at \(at)") { try AudioDecoder(path: path).readAll() }
            }
        }
    }
}
