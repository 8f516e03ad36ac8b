import CFFTW
import Foundation

/// A single-precision real-to-complex FFTW plan for one transform size, shared by all threads.
///
/// FFTW's planner is not thread-safe, so plans are made once per size under a lock and cached
/// for the life of the process; executing a plan on new arrays (`fftwf_execute_dft_r2c`) is
/// thread-safe, so each worker runs the shared plan on buffers of its own. Plans use
/// FFTW_ESTIMATE: FFTW_MEASURE may pick a different algorithm from run to run, and the
/// results would then differ in the last bits between runs.
public final class FFTPlan: @unchecked Sendable {
    // @unchecked: the plan is immutable after creation and FFTW documents new-array
    // execution of one plan from several threads as safe.
    public let size: Int
    let plan: OpaquePointer

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [Int: FFTPlan] = [:]

    private init(size: Int) {
        self.size = size
        let input = fftwf_alloc_real(size)!
        let output = fftwf_alloc_complex(size / 2 + 1)!
        plan = fftwf_plan_dft_r2c_1d(Int32(size), input, output, UInt32(FFTW_ESTIMATE))!
        fftwf_free(input)
        fftwf_free(output)
    }

    /// The cached plan for `size` points, created on first use.
    public static func forSize(_ size: Int) -> FFTPlan {
        lock.lock()
        defer { lock.unlock() }
        if let p = cache[size] { return p }
        let p = FFTPlan(size: size)
        cache[size] = p
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
        input = fftwf_alloc_real(plan.size)!
        input.initialize(repeating: 0, count: plan.size)
        output = fftwf_alloc_complex(plan.size / 2 + 1)!
    }

    deinit {
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Transforms `input` into `output`.
    @inline(__always) func execute() { fftwf_execute_dft_r2c(plan.plan, input, output) }
}
