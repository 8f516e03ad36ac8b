import ArgumentParser
import SpeakerID

/// The EM options of a background model, as train-ubm takes them.
struct UBMTrainingArguments: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Gaussian components.", valueName: "K"))
    var components = 512
    @Option(parsing: .unconditional, help: ArgumentHelp("Maximum EM iterations.", valueName: "n"))
    var iterations = 10
    @Option(parsing: .unconditional, help: ArgumentHelp("Relative change of the average log-likelihood to stop at.", valueName: "tol"))
    var tolerance = 1e-3
    @Option(parsing: .unconditional, help: ArgumentHelp("Variance floor as a fraction of the data's global variance.", valueName: "fraction"))
    var varianceFloor = 0.01
    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed of the initialisation.", valueName: "n"))
    var seed: UInt64 = 0

    func validate() throws {
        if iterations < 0 || iterations > 10_000 { throw ValidationError("--iterations must be 0-10000") }
        if !(tolerance >= 0 && tolerance.isFinite) { throw ValidationError("--tolerance must be a number >= 0") }
        if !(varianceFloor > 0 && varianceFloor < 1) { throw ValidationError("--variance-floor must be more than 0 and less than 1") }
        _ = try options()
    }

    /// The EM options, checked.
    func options() throws -> EMOptions {
        var em = EMOptions()
        em.components = components
        em.maxIterations = iterations
        em.tolerance = tolerance
        em.varianceFloor = varianceFloor
        em.seed = seed
        do { try em.validate() } catch { throw ValidationError("\(error)") }
        return em
    }
}
