import Foundation

/// `DIR[:SPLIT]`: a corpus folder and, after a colon, one of its splits, as every command's
/// `--corpus` takes it. A folder that exists as given wins, so folders with a colon in their
/// name still work.
public struct CorpusSpec: Sendable, Equatable {
    /// The corpus folder.
    public var folder: String
    /// The split named after the colon; nil when none was.
    public var split: String?
    /// The text it was read from, as given (what messages quote).
    public var text: String

    /// Reads "DIR" or "DIR:SPLIT".
    public init(parsing text: String) {
        self.text = text
        if FileSystem.exists(text) || !text.contains(":") {
            folder = text
            split = nil
        } else {
            let i = text.lastIndex(of: ":") ?? text.endIndex
            folder = String(text[..<i])
            let s = String(text[text.index(after: i)...])
            split = s.isEmpty ? nil : s
        }
    }

    /// The split to read: the one named, else `defaultSplit`.
    public func split(or defaultSplit: String) -> String { split ?? defaultSplit }
}

extension CorpusSpec: CustomStringConvertible {
    /// The text it was read from.
    public var description: String { text }
}

/// The recordings a background model is trained on (`--corpus DIR[:SPLIT]`, repeatable): one
/// reading shared by train-ubm, init-ubm, accumulate and the cluster driver, so every one of
/// them sees the same list in the same order.
public struct BackgroundCorpus: Sendable {
    /// Every recording, corpus after corpus, in each corpus's order.
    public let entries: [CorpusEntry]
    /// The list's identity (`CorpusListing`), recorded in statistics files.
    public let listing: String
    /// Notes on what the corpora skipped or merged.
    public let notes: [String]

    /// Reads each corpus (`defaultSplit` for those naming no split; "all" for every file).
    public init(_ specs: [CorpusSpec], defaultSplit: String) throws {
        var parts: [(root: String, entries: [CorpusEntry])] = []
        var notes: [String] = []
        for spec in specs {
            let sp = spec.split(or: defaultSplit)
            let c = try Corpus(root: spec.folder)
            notes += c.notes
            parts.append((spec.folder, try c.entries(split: sp == "all" ? nil : sp)))
        }
        entries = parts.flatMap(\.entries)
        listing = CorpusListing.checksum(parts)
        self.notes = notes
    }
}
