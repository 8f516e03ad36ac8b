import CKernels
import Foundation

/// What computes SpeakerID's products on this machine and how fast, measured: for `speakerid
/// --version` and every benchmark, so a user sees at once when a CPU runs a slow path.
public struct ComputeReport: Sendable {
    /// The product kernel in use.
    public let kernel: ProductKernel
    /// The CPU's model name and the vector features the kernel choice looked at.
    public let cpu: String
    public let cpuFeatures: [String]
    /// OpenBLAS's build string and the core kernel it chose (SpeakerID uses OpenBLAS only as
    /// the peer of `bench gemm`, and on x86-64 CPUs without AVX2+FMA).
    public let openBLASConfig: String
    public let openBLASCore: String
    /// One core's peak in GFLOP/s, measured with independent FMA chains on the kernel's vector
    /// width (not assumed from the model name: AMD's Zen 4 runs AVX-512 at half the width of
    /// Intel's Sapphire Rapids).
    public let peakGflopsPerCore: Double
    /// The kernel's GFLOP/s on one core on the E-step shape (256 frames x 1024 components x 79).
    public let productGflops: Double

    /// The product's share of the peak.
    public var fractionOfPeak: Double { productGflops / peakGflopsPerCore }

    /// Measures (about 0.3 s; the best of several short runs, so a busy machine lowers it less).
    public static func measure() -> ComputeReport {
        let (model, flags) = cpuInfo()
        let features = ["avx512f", "avx2", "fma"].filter(flags.contains)
        return ComputeReport(
            kernel: .current, cpu: model, cpuFeatures: features,
            openBLASConfig: BLAS.openBLASConfig, openBLASCore: BLAS.openBLASCore,
            peakGflopsPerCore: measurePeak(), productGflops: measureProduct())
    }

    /// The CPU's model name and feature flags, as /proc/cpuinfo lists them ("unknown CPU" and
    /// no flags where it cannot be read).
    static func cpuInfo() -> (model: String, flags: Set<String>) {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let lines = info.split(separator: "\n")
        let model =
            lines.first { $0.hasPrefix("model name") }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let flags = Set((lines.first { $0.hasPrefix("flags") }?.split(separator: ":").last ?? "").split(separator: " ").map(String.init))
        return (model, flags)
    }

    /// The best of several short runs of FMA chains on the kernel's vector width.
    static func measurePeak() -> Double {
        let path: Int32 = ProductKernel.current.path ?? Int32(SPK_KERNEL_PORTABLE)
        var sink: Float = 0
        var best = 0.0
        for _ in 0..<12 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let flops = spk_fma_loop(path, 2_000_000, &sink)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            best = max(best, flops / dt / 1e9)
        }
        return sink.isNaN ? 0 : best
    }

    /// The best of several runs of the E-step product (256 x 79 times 79 x 1024).
    static func measureProduct() -> Double {
        let n = 256, w = 79, k = 1024
        var r = SeededRandom(seed: 1)
        let a = (0..<(n * w)).map { _ in Float(r.nextUnit()) }
        let bt = (0..<(w * k)).map { _ in Float(r.nextUnit()) }
        var c = [Float](repeating: 0, count: n * k)
        var best = 0.0
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<4 {
                a.withUnsafeBufferPointer { ab in
                    bt.withUnsafeBufferPointer { bb in
                        c.withUnsafeMutableBufferPointer { cb in
                            MatrixProduct.multiply(
                                n: n, k: k, w: w, a: ab.baseAddress!, lda: w, bt: bb.baseAddress!, ldb: k,
                                c: cb.baseAddress!, ldc: k)
                        }
                    }
                }
            }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            best = max(best, 4 * 2 * Double(n * w * k) / dt / 1e9)
        }
        return best
    }

    /// Whether OpenBLAS fell back to a generic kernel for this CPU (it then does not matter to
    /// SpeakerID's own products, but does to anything else in the process that calls BLAS).
    public var openBLASIsGeneric: Bool {
        ["Prescott", "Core2", "Katmai", "Coppermine", "Northwood", "Banias", "Atom", "generic", "Unknown"]
            .contains { openBLASCore.localizedCaseInsensitiveContains($0) }
    }

    /// A few lines for `speakerid --version`.
    public var text: String {
        """
        products: \(kernel.description) [\(kernel.rawValue)]
        cpu: \(cpu) (\(cpuFeatures.isEmpty ? "no AVX2/AVX-512" : cpuFeatures.joined(separator: " ")))
        peak: \(String(format: "%.0f", peakGflopsPerCore)) GFLOP/s per core (measured); products \(String(format: "%.0f", productGflops)) GFLOP/s, \(String(format: "%.0f", 100 * fractionOfPeak))% of peak
        openblas: \(openBLASConfig), core \(openBLASCore)\(openBLASIsGeneric ? " (a generic fallback: OpenBLAS does not know this CPU; SpeakerID's products do not use it)" : "")
        """
    }
}
