import ArgumentParser
import SpeakerID

/// The background model and how to score against it.
struct UBMArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "UBM the models were adapted from (train-ubm, enroll --ubm): scores become average log-likelihood ratios against it.", valueName: "file"))
    var ubm: String?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("With --ubm: UBM components evaluated per frame in the UBM and the speaker models; 0 for exact scoring.", valueName: "C"))
    var topC = 5

    func validate() throws {
        if topC < 0 { throw ValidationError("--top-c must be >= 0") }
    }

    func load() throws -> SpeakerModel? { try ubm.map { try ModelStore.loadUBM(path: $0) } }
}
