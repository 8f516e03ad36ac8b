import ArgumentParser
import SpeakerID

/// The worker-thread count and quietness every command takes.
struct CommonArguments: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Worker threads (default: one per core).", valueName: "n"))
    var threads: Int?
    @Flag(name: .shortAndLong, help: "No progress or warnings on standard error.")
    var quiet = false

    var threadCount: Int { max(1, threads ?? defaultThreadCount()) }

    func validate() throws {
        if let t = threads, !(1...1024).contains(t) { throw ValidationError("--threads must be 1-1024") }
    }
}
