import ArgumentParser
import Foundation
import SpeakerID

/// Which recordings a background model is trained on, and how their frames are kept: the
/// options init-ubm, accumulate and `cluster train-ubm` share with train-ubm (same names, same
/// meaning), so the same arguments always mean the same frames.
struct BackgroundArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Corpus of background speakers; repeat to pool several, each optionally DIR:SPLIT.", valueName: "dir[:split]"))
    var corpus: [String]
    @Option(help: ArgumentHelp("Split of each corpus given without one; 'all' for every file (default: background).", valueName: "name"))
    var split = "background"
    @Option(help: ArgumentHelp("Keep only every N-th speech frame of each recording (default: 1, all).", valueName: "N"))
    var keepEvery = 1
    @Flag(help: "Report unusable audio files and carry on with the rest (default: fail).")
    var skipBad = false

    func validate() throws {
        if keepEvery < 1 { throw ValidationError("--keep-every must be at least 1") }
    }

    /// The recordings, with the corpora's notes printed unless `quiet`.
    func read(quiet: Bool) throws -> BackgroundCorpus {
        let c = try BackgroundCorpus(specs: corpus, defaultSplit: split)
        if !quiet { for n in c.notes { Console.warn("note: " + n) } }
        return c
    }
}

/// The EM options of a background model, as train-ubm takes them.
struct UBMTrainingArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Gaussian components (default: 512).", valueName: "K"))
    var components = 512
    @Option(help: ArgumentHelp("Maximum EM iterations (default: 10).", valueName: "n"))
    var iterations = 10
    @Option(help: ArgumentHelp("Relative change of the average log-likelihood to stop at (default: 1e-3).", valueName: "tol"))
    var tolerance = 1e-3
    @Option(help: ArgumentHelp("Variance floor as a fraction of the data's global variance (default: 0.01).", valueName: "fraction"))
    var varianceFloor = 0.01
    @Option(help: ArgumentHelp("Random seed of the initialisation (default: 0).", valueName: "n"))
    var seed: UInt64 = 0

    func validate() throws {
        if iterations < 0 || iterations > 10_000 { throw ValidationError("--iterations must be 0-10000") }
        if !(tolerance >= 0 && tolerance.isFinite) { throw ValidationError("--tolerance must be a number >= 0") }
        if !(varianceFloor > 0 && varianceFloor < 1) { throw ValidationError("--variance-floor must be more than 0 and less than 1") }
    }

    /// The EM options, checked.
    func options() throws -> EMOptions {
        var em = EMOptions()
        em.components = components
        em.maxIterations = iterations
        em.tolerance = tolerance
        em.varianceFloor = varianceFloor
        em.seed = seed
        try em.validate()
        return em
    }
}

/// `--shard I/N`: which part of a list this run takes.
struct ShardArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Take shard I of N of the list (the items at positions p with p mod N = I; default: all, 0/1).", valueName: "I/N"))
    var shard: String?

    func validate() throws { _ = try parsed() }

    /// The shard asked for, or everything.
    func parsed() throws -> Shard {
        guard let shard else { return .whole }
        do { return try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
    }
}
