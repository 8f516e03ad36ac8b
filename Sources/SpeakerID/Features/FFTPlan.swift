import CFFTW
import Foundation

/// A single-precision real-to-complex FFTW plan for one transform size, shared by all threads.
///
/// FFTW's planner is not thread-safe, so plans are made once per size under a lock and cached
/// for the life of the process; executing a plan on new arrays (`fftwf_execute_dft_r2c`) is
/// thread-safe, so each worker runs the shared plan on buffers of its own. Plans use
/// FFTW_ESTIMATE: FFTW_MEASURE may pick a different algorithm from run to run, and the
/// results would then differ in the last bits between runs.
///
/// A plan transforms `batch` frames at once (FFTW's "many" interface): FFTW then vectorises
/// across transforms, which is faster per frame than one transform at a time.
public final class FFTPlan: @unchecked Sendable {
    // @unchecked: the plan is immutable after creation and FFTW documents new-array
    // execution of one plan from several threads as safe.
    public let size: Int
    public let batch: Int
    let plan: OpaquePointer

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [[Int]: FFTPlan] = [:]

    private init(size: Int, batch: Int) {
        self.size = size
        self.batch = batch
        let bins = size / 2 + 1
        let input = fftwf_alloc_real(size * batch)!
        let output = fftwf_alloc_complex(bins * batch)!
        var n = Int32(size)
        plan = fftwf_plan_many_dft_r2c(1, &n, Int32(batch), input, nil, 1, Int32(size),
                                       output, nil, 1, Int32(bins), UInt32(FFTW_ESTIMATE))!
        fftwf_free(input)
        fftwf_free(output)
    }

    /// The cached plan for `batch` transforms of `size` points, created on first use.
    public static func forSize(_ size: Int, batch: Int = 1) -> FFTPlan {
        lock.lock()
        defer { lock.unlock() }
        if let p = cache[[size, batch]] { return p }
        let p = FFTPlan(size: size, batch: batch)
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
