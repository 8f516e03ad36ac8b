import ArgumentParser
import Foundation
import SpeakerID

struct SumStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sum-stats",
        abstract: "Add statistics files (accumulate's shards, or earlier sums) into one (Kaldi's gmm-global-sum-accs).",
        discussion: """
            The sums are exact, so any grouping (all shards at once, or a tree of partial sums) \
            gives the same bits. Refused, naming the files: statistics under another model, front \
            end or file list, and a shard counted twice.
            """)

    @Option(help: ArgumentHelp("Statistics file to write.", valueName: "file"))
    var out: String
    @Argument(help: "Statistics files to add.")
    var inputs: [String]
    @Flag(help: "Print a JSON summary.")
    var json = false
    @Flag(name: .shortAndLong, help: "No progress on standard error.")
    var quiet = false

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give the statistics files to add") }
    }

    func run() throws {
        try OutputLocation.prepareFile(out)
        var total = try ModelStore.loadStatistics(path: inputs[0])
        for path in inputs.dropFirst() {
            try total.merge(try ModelStore.loadStatistics(path: path), name: inputs[0], otherName: path)
        }
        try ModelStore.write(total, to: out)
        if json {
            print(
                SpeakerIDCLI.json([
                    "file": out, "frames": total.statistics.frames, "files": total.files, "shards": total.shards,
                    "shard_count": total.shardCount, "missing_shards": total.missingShards,
                ]))
        } else {
            let missing = total.missingShards
            Console.progress(
                "wrote \(out): \(total.shards.count) of \(total.shardCount) shards, \(total.files) files, \(total.statistics.frames) frames\(missing.isEmpty ? "" : "; missing shards \(missing.map(String.init).joined(separator: ", "))")",
                quiet: quiet || json)
        }
    }
}
