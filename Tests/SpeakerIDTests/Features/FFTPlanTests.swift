import Foundation
import Testing
@testable import SpeakerID

/// The front end's FFT plans: the committed wisdom is used where it can be, and the plans this
/// process makes agree with a direct DFT in Double to within float rounding (the wisdom's plans
/// round differently from FFTW_ESTIMATE's, so this bound, the golden front-end test and the
/// accuracy benchmarks are what stand for "the same results"). One process plans each size
/// once, from the wisdom where it applies (4,096 points always from FFTW_ESTIMATE); CI runs
/// these tests again with SPEAKERID_FFT_PLAN=estimate, so FFTW_ESTIMATE's plans of every size
/// are checked too.
struct FFTPlanTests {
    /// The sizes the wisdom covers: 8 to 64 kHz at 20 ms frames, and 25 ms at 16 kHz.
    static let covered = [128, 256, 512, 1024, 2048]

    /// Whether this machine is one the wisdom was made for: exactly the FFTW build it names
    /// (another build registers other solvers, and FFTW refuses the wisdom), and AVX (its
    /// codelets are FFTW's AVX ones), and SPEAKERID_FFT_PLAN=estimate not set. Elsewhere the
    /// plans are FFTW_ESTIMATE's, which `bench features` and `--version` then say.
    static var wisdomApplies: Bool {
        ComputeReport.cpuInfo().flags.contains("avx") && FFTPlan.libraryVersion == FFTWisdom.library
            && !FFTPlan.estimateRequested
    }

    @Test(.enabled(if: wisdomApplies, "needs the FFTW build the wisdom names, an AVX CPU, and SPEAKERID_FFT_PLAN unset"))
    func everyCoveredSizeIsPlannedFromTheWisdom() throws {
        for n in Self.covered {
            #expect(FFTPlan.forSize(n, batch: CepstralAnalyzer.batch).source == .wisdom, "\(n) points")
        }
        #expect(try FrontEnd().fftPlanSource == .wisdom)
    }

    @Test func aSizeTheWisdomDoesNotCoverIsEstimated() {
        #expect(FFTPlan.forSize(4096, batch: CepstralAnalyzer.batch).source == .estimate)
        #expect(FFTPlan.forSize(512, batch: 3).source == .estimate)
    }

    /// Every fourth frame of a batch against a direct DFT in Double: the relative RMS error of
    /// the spectrum stays within two float roundings per stage (FFTW's error grows as log2 n).
    @Test(arguments: covered + [4096])
    func planAgreesWithADirectTransform(size n: Int) throws {
        let plan = FFTPlan.forSize(n, batch: CepstralAnalyzer.batch)
        let buffers = FFTBuffers(plan: plan)
        var rng = SeededRandom(seed: UInt64(n))
        let batch = plan.batch, bins = n / 2 + 1
        var frames = [[Double]]()
        for f in 0..<batch {
            // Speech-like: a few tones, noise, and a DC offset, at the level of 16-bit audio.
            let frame = (0..<n).map { i -> Double in
                let t = Double(i)
                return 3000 * sin(0.05 * t * Double(f + 1)) + 800 * cos(0.31 * t) + 200 * rng.nextGaussian() + 150
            }
            frames.append(frame)
            for i in 0..<n { buffers.input[f * n + i] = Float(frame[i]) }
        }
        buffers.execute()
        // The direct DFT of every fourth frame (the others run through the same code).
        let cosine = (0..<n).map { cos(-2 * Double.pi * Double($0) / Double(n)) }
        let sine = (0..<n).map { sin(-2 * Double.pi * Double($0) / Double(n)) }
        let bound = 6e-8 * 2 * log2(Double(n))
        var worst = 0.0
        for f in stride(from: 0, to: batch, by: 4) {
            let x = frames[f].map { Double(Float($0)) }  // what the FFT was given
            var err = 0.0, norm = 0.0
            for k in 0..<bins {
                var re = 0.0, im = 0.0
                for i in 0..<n {
                    let j = (i * k) % n
                    re += x[i] * cosine[j]
                    im += x[i] * sine[j]
                }
                let o = buffers.output[f * bins + k]
                err += (Double(o.0) - re) * (Double(o.0) - re) + (Double(o.1) - im) * (Double(o.1) - im)
                norm += re * re + im * im
            }
            worst = max(worst, (err / norm).squareRoot())
        }
        print("fft \(n) points (\(plan.source)): worst relative RMS error \(worst), bound \(bound)")
        #expect(worst > 0)  // float rounding is there: the check compares real outputs
        #expect(worst <= bound)
    }
}
