import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of labelled recordings: either a folder with `protocol.tsv` (header line; columns
/// speaker, path relative to the folder, split), or a folder with one sub-folder per speaker
/// (every audio file in it, split "all" — any split asked for is then the whole folder).
///
/// `protocol.tsv` may be UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order
/// mark, with LF, CRLF or CR line endings (mixed too); fields are trimmed of surrounding spaces
/// and may be wrapped in double quotes as spreadsheets write them (`"a b"`, `""` for a quote);
/// blank lines and lines starting with `#` are skipped. Anything else that would silently change
/// what is read (another encoding, a NUL or control character, commas instead of tabs, a missing
/// column) is refused with the line, the column and the byte or character.
///
/// Speaker folders and folders inside them may be symbolic links; they are followed, each folder
/// once. What is skipped (a broken link, a speaker folder without audio files, a folder reached
/// twice) is listed in `notes`; a folder that cannot be read is an error.
public struct Corpus: Sendable {
    /// The corpus folder, as given.
    public let root: String
    /// Every recording, in protocol order (folder corpora: speakers and files sorted by name).
    public let entries: [CorpusEntry]
    /// Whether the corpus has a `protocol.tsv` (else it is one sub-folder per speaker).
    public let hasProtocol: Bool
    /// Sentences about what was skipped or merged while reading the corpus, each naming the
    /// file or folder (empty when nothing was).
    public let notes: [String]

    /// File extensions recognised as audio when scanning speaker folders.
    public static let audioExtensions: Set<String> = [
        "wav", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif", "aifc", "au", "snd", "caf", "w64", "rf64", "gsm", "sph", "nist", "voc", "wve",
    ]

    /// Reads the corpus at `root`: its protocol.tsv if present, else one sub-folder per speaker.
    public init(root: String) throws {
        guard FileSystem.isDirectory(root) else { throw CorpusError.notFound(root) }
        self.root = root
        let proto = PathName.join(root, "protocol.tsv")
        if FileSystem.kind(proto) == .missing && KaldiDataFolder.isOne(root) {
            entries = try KaldiDataFolder.entries(root)
            notes = []
            hasProtocol = false
        } else if FileSystem.kind(proto) != .missing {
            entries = try Self.parseProtocol(proto, root: root)
            notes = []
            hasProtocol = true
            if entries.isEmpty { throw CorpusError.badRow(proto, line: 1, reason: "the protocol lists no files (only its header)") }
        } else {
            if let other = try Self.protocolLookalike(in: root) { throw CorpusError.misnamedProtocol(root, found: other) }
            let scan = try Self.scanFolders(root)
            entries = scan.entries
            notes = scan.notes
            hasProtocol = false
        }
        if entries.isEmpty { throw notes.isEmpty ? CorpusError.empty(root) : CorpusError.emptyFolders(root, notes: notes) }
    }

    /// Entries of one split (all entries for a folder corpus without a protocol). The split name
    /// is compared after trimming surrounding spaces, as the protocol's are.
    public func entries(split: String?) throws -> [CorpusEntry] {
        guard let split, hasProtocol else { return entries }
        let name = split.trimmingCharacters(in: .whitespaces)
        let e = entries.filter { $0.split == name }
        if e.isEmpty { throw CorpusError.unknownSplit(root, split: split, available: splits) }
        return e
    }

    /// The split names of the corpus, sorted ("all" for a folder corpus).
    public var splits: [String] { Array(Set(entries.map(\.split))).sorted() }

    /// Speakers in order of first appearance.
    public static func speakers(_ entries: [CorpusEntry]) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for e in entries where seen.insert(e.speaker).inserted { out.append(e.speaker) }
        return out
    }
}
