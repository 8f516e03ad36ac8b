import ArgumentParser
import SpeakerID

/// `--shard I/N`: which part of a list this run takes.
struct ShardArguments: ParsableArguments {
    // Unconditional: "-1/4" is a (wrong) shard, not an option; ArgumentParser would otherwise
    // take it for one and say the value is missing.
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Take shard I of N of the list (the items at positions p with p mod N = I; default: all, 0/1).", valueName: "I/N"))
    var shard: String?

    func validate() throws { _ = try parsed() }

    /// The shard asked for, or everything.
    func parsed() throws -> Shard {
        guard let shard else { return .whole }
        do { return try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") }
    }
}
