import ArgumentParser
import SpeakerID

/// The EM options of a speaker model trained without a UBM (enroll), each overriding the
/// documented default.
struct EMArguments: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Gaussian components per speaker, or 'auto': the largest power of two with 25 speech frames per component, 4-128 (default: auto).",
            valueName: "K"))
    var components: ComponentsArgument?
    @Option(parsing: .unconditional, help: ArgumentHelp("Maximum EM iterations (default: 10).", valueName: "n"))
    var iterations: Int?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Stop when the average log-likelihood changes by less than this fraction (default: 1e-3).", valueName: "tol"))
    var tolerance: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Variance floor as a fraction of the data's global variance (default: 0.01).", valueName: "fraction"))
    var varianceFloor: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed of the initialisation (default: 0).", valueName: "n"))
    var seed: UInt64?

    var automaticOrder: Bool { components == nil || components == .automatic }

    /// The EM options given on the command line that MAP adaptation does not use (it keeps the
    /// UBM's order and needs no EM), for refusing them with --ubm.
    var trainingOnlyGiven: [String] {
        [
            ("--components", components != nil), ("--iterations", iterations != nil), ("--tolerance", tolerance != nil),
            ("--seed", seed != nil),
        ].filter(\.1).map(\.0)
    }

    /// Checked when the command line is parsed, before any work.
    func validate() throws { _ = try options() }

    func options() throws -> EMOptions {
        var o = EMOptions()
        if case .fixed(let k) = components { o.components = k }
        if let v = iterations { o.maxIterations = v }
        if let v = tolerance { o.tolerance = v }
        if let v = varianceFloor { o.varianceFloor = v }
        if let v = seed { o.seed = v }
        // A value out of range is a usage error (exit 64), as the parser's own are.
        do { try o.validate() } catch { throw ValidationError("\(error)") }
        return o
    }
}
