import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a corpus folder or its protocol cannot be used; each case names the file (and the line,
/// where there is one).
public enum CorpusError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    /// Kept for compatibility; the protocol reader now throws `missingColumns`.
    case badHeader(String, found: String)
    case badRow(String, line: Int, reason: String)
    case escapingPath(String, line: Int, path: String)
    case duplicateRow(String, line: Int, path: String)
    case unknownSplit(String, split: String, available: [String])
    case empty(String)
    /// A file or folder that exists but cannot be read; `reason` is the system's word for why.
    case unreadable(String, reason: String)
    /// A protocol file whose bytes are not text of a supported encoding, or hold a character
    /// that has no place in it (NUL, a control character); `problem` is a sentence that names
    /// the byte or character, the line and the column.
    case badText(String, line: Int, column: Int, problem: String)
    /// A protocol header (at `line`) without the columns `missing`; `found` lists the column
    /// names it has, `hint` (possibly empty) a likely cause.
    case missingColumns(String, line: Int, missing: [String], found: [String], hint: String)
    /// A corpus folder with a file that looks meant as its protocol (`protocol.csv`,
    /// `protocol.tsv.txt`, `Protocol.tsv`, ...) but no `protocol.tsv`.
    case misnamedProtocol(String, found: String)
    /// A corpus folder without audio files, with the notes that say what was skipped.
    case emptyFolders(String, notes: [String])

    public var description: String {
        switch self {
        case .notFound(let d): return "\(d): no such corpus folder"
        case .badHeader(let p, let f):
            return "\(p):1: header must name the columns speaker, path, split (tab-separated); found \(f.debugDescription)"
        case .badRow(let p, let l, let r): return "\(p):\(l): \(r)"
        case .escapingPath(let p, let l, let path): return "\(p):\(l): path \(path.debugDescription) leaves the corpus folder"
        case .duplicateRow(let p, let l, let path): return "\(p):\(l): \(path.debugDescription) is listed twice"
        case .unknownSplit(let d, let s, let a):
            return "\(d): no files in split \(s.debugDescription); the corpus has: \(a.isEmpty ? "none" : a.joined(separator: ", "))"
        case .empty(let d): return "\(d): no audio files found (expected protocol.tsv or one sub-folder per speaker)"
        case .unreadable(let p, let r): return "\(p): cannot be read (\(r))"
        case .badText(let p, _, _, let problem): return "\(p): \(problem)"
        case .missingColumns(let p, let l, let missing, let found, let hint):
            let what =
                found.isEmpty
                ? "the file has no header line"
                : found.count == 1 && !hint.isEmpty
                    ? "the header has no tabs: \(found[0].debugDescription)"
                    : "the header lacks the column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); it names: \(found.map { $0.isEmpty ? "(empty)" : $0 }.joined(separator: ", "))"
            return
                "\(p):\(l): \(what) (the first line must name the columns speaker, path and split, separated by tabs)\(hint.isEmpty ? "" : "; \(hint)")"
        case .misnamedProtocol(let d, let f):
            return
                "\(d): has \(f) but no protocol.tsv; rename it to protocol.tsv (saved as tab-separated UTF-8 text) or remove it, so the folder is not read as one sub-folder per speaker by mistake"
        case .emptyFolders(let d, let notes):
            return "\(d): no audio files found (expected protocol.tsv or one sub-folder per speaker): \(notes.joined(separator: "; "))"
        }
    }
}
