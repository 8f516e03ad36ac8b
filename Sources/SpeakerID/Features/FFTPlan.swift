import CFFTW
import Foundation

/// A single-precision real-to-complex FFTW plan for one transform size, shared by all threads.
///
/// FFTW's planner is not thread-safe, so plans are made once per size under a lock and cached
/// for the life of the process; executing a plan on new arrays (`fftwf_execute_dft_r2c`) is
/// thread-safe, so each worker runs the shared plan on buffers of its own.
///
/// Plans never time anything (FFTW_MEASURE may pick a different algorithm from run to run,
/// and the results would then differ in the last bits between runs). They come from the
/// wisdom committed in `FFTWisdom` (plans found once with FFTW_PATIENT, 1.4-1.9x faster than
/// FFTW_ESTIMATE's on the front end's sizes), imported before the first plan is made. A size
/// it does not cover, an FFTW or CPU that cannot use it (FFTW then refuses the whole import),
/// or SPEAKERID_FFT_PLAN=estimate, gets an FFTW_ESTIMATE plan instead, and `source` says
/// which. (Once the wisdom is imported, FFTW_ESTIMATE may still take a wisdom entry for a
/// sub-problem of an uncovered size; strides and batch counts are part of each entry, so the
/// front end's sizes do not share any.)
///
/// A plan transforms `batch` frames at once (FFTW's "many" interface): FFTW then vectorises
/// across transforms, which is faster per frame than one transform at a time.
public final class FFTPlan: @unchecked Sendable {
    // @unchecked: the plan is immutable after creation and FFTW documents new-array
    // execution of one plan from several threads as safe.
    public let size: Int
    public let batch: Int
    /// Where the plan came from.
    public let source: Source
    let plan: OpaquePointer

    /// Where a plan came from.
    public enum Source: String, Sendable {
        /// SpeakerID's committed wisdom: the same plan on every machine that can run it.
        case wisdom
        /// FFTW_ESTIMATE's choice: no wisdom for this size, or this FFTW or CPU could not use it.
        case estimate
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [[Int]: FFTPlan] = [:]
    nonisolated(unsafe) private static var wisdomImported: Bool?

    /// Whether SPEAKERID_FFT_PLAN=estimate asks for FFTW_ESTIMATE's plans, leaving the wisdom
    /// out: the features of SpeakerID before the wisdom, bit for bit, and the way to compare the
    /// two in one build.
    public static var estimateRequested: Bool {
        ProcessInfo.processInfo.environment["SPEAKERID_FFT_PLAN"] == "estimate"
    }

    /// Whether FFTW accepted the committed wisdom (under `lock`; imported on first call, unless
    /// `estimateRequested`).
    private static func importWisdom() -> Bool {
        if let wisdomImported { return wisdomImported }
        let ok = !estimateRequested && fftwf_import_wisdom_from_string(FFTWisdom.text) != 0
        wisdomImported = ok
        return ok
    }

    private init(size: Int, batch: Int, useWisdom: Bool) {
        self.size = size
        self.batch = batch
        let bins = size / 2 + 1
        let input = fftwf_alloc_real(size * batch)!
        let output = fftwf_alloc_complex(bins * batch)!
        defer {
            fftwf_free(input)
            fftwf_free(output)
        }
        var n = Int32(size)
        func make(_ flags: UInt32) -> OpaquePointer? {
            fftwf_plan_many_dft_r2c(
                1, &n, Int32(batch), input, nil, 1, Int32(size),
                output, nil, 1, Int32(bins), flags)
        }
        // FFTW_WISDOM_ONLY: a plan only if the wisdom covers this problem and this machine can
        // run the plan it names; no plan otherwise. (If a wisdom-only attempt failed part-way,
        // FFTW would forget all wisdom before the fallback, and later sizes would be estimated:
        // `source` would say so for each. The committed wisdom covers each of its sizes whole,
        // which FFTPlanTests checks.)
        if useWisdom, let p = make(UInt32(FFTW_ESTIMATE) | UInt32(FFTW_WISDOM_ONLY)) {
            plan = p
            source = .wisdom
        } else {
            plan = make(UInt32(FFTW_ESTIMATE))!
            source = .estimate
        }
    }

    /// The FFTW library's version and SIMD ("fftw-3.3.10-sse2-avx" on Debian bookworm).
    public static var libraryVersion: String {
        String(cString: spk_fftwf_version())
    }

    /// The FFTW build SpeakerID's wisdom was made with; other builds refuse it.
    public static var wisdomLibrary: String { FFTWisdom.library }

    /// The cached plan for `batch` transforms of `size` points, created on first use.
    public static func forSize(_ size: Int, batch: Int = 1) -> FFTPlan {
        lock.lock()
        defer { lock.unlock() }
        if let p = cache[[size, batch]] { return p }
        let p = FFTPlan(size: size, batch: batch, useWisdom: importWisdom())
        cache[[size, batch]] = p
        return p
    }
}

/// SIMD-aligned working buffers for one thread's transforms (allocated with fftwf_malloc so
/// they have the alignment the plan was made with).
final class FFTBuffers {
    let plan: FFTPlan
    let input: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<fftwf_complex>

    init(plan: FFTPlan) {
        self.plan = plan
        input = fftwf_alloc_real(plan.size * plan.batch)!
        input.initialize(repeating: 0, count: plan.size * plan.batch)
        output = fftwf_alloc_complex((plan.size / 2 + 1) * plan.batch)!
    }

    deinit {
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Transforms all `batch` frames of `input` into `output`.
    @inline(__always) func execute() { fftwf_execute_dft_r2c(plan.plan, input, output) }
}
