import ArgumentParser
import CKernels
import Foundation
import SpeakerID

/// `speakerid-dev`: the developers' tool beside `speakerid`: benchmarks and the demo corpus
/// builder, which need the synthetic voices and corpus builder of SpeakerIDDemo that the
/// user's tool does not link.
@main
struct SpeakerIDDevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speakerid-dev",
        abstract: "SpeakerID's developer tools: benchmarks and the demo corpus.",
        version: SpeakerIDVersion.current,
        subcommands: [BenchCommand.self, DemoCorpusCommand.self, SyntheticCorpusCommand.self])

    static func main() async {
        // The allocator settings speakerid runs with (Entry.swift), so the benchmarks measure
        // what the user's tool does.
        spk_tune_malloc()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
