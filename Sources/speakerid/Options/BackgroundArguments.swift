import ArgumentParser
import Foundation
import SpeakerID

/// Which recordings a background model is trained on, and how their frames are kept: the
/// options init-ubm, accumulate and `cluster train-ubm` share with train-ubm (same names, same
/// meaning), so the same arguments always mean the same frames.
struct BackgroundArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Corpus of background speakers; repeat to pool several, each optionally DIR:SPLIT.", valueName: "dir[:split]"))
    var corpus: [CorpusSpec]
    @Option(help: ArgumentHelp("Split of each corpus given without one; 'all' for every file.", valueName: "name"))
    var split = "background"
    @Option(parsing: .unconditional, help: ArgumentHelp("Keep only every N-th speech frame of each recording.", valueName: "N"))
    var keepEvery = 1
    @Flag(help: "Report unusable audio files and carry on with the rest (default: fail).")
    var skipBad = false

    func validate() throws {
        if keepEvery < 1 { throw ValidationError("--keep-every must be at least 1") }
    }

    /// The corpora as given, for messages: "DIR, DIR:SPLIT".
    var corpusNames: String { corpus.map(\.text).joined(separator: ", ") }

    /// What the corpora's reading used (their protocol files and recordings), which no output
    /// may overwrite.
    func inputs(_ read: BackgroundCorpus) -> [(what: String, path: String)] {
        corpus.map { ("a corpus protocol", PathName.join($0.folder, "protocol.tsv")) }
            + read.entries.map { ("a recording of the corpus", $0.path) }
    }

    /// The recordings, with the corpora's notes printed unless `quiet`.
    func read(quiet: Bool) throws -> BackgroundCorpus {
        let c = try BackgroundCorpus(corpus, defaultSplit: split)
        if !quiet { for n in c.notes { Console.warn("note: " + n) } }
        return c
    }
}
