import Foundation

/// Why a corpus folder or its protocol cannot be used; each case names the file and line.
public enum CorpusError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case badHeader(String, found: String)
    case badRow(String, line: Int, reason: String)
    case escapingPath(String, line: Int, path: String)
    case duplicateRow(String, line: Int, path: String)
    case unknownSplit(String, split: String, available: [String])
    case empty(String)

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
        }
    }
}

/// One recording of a corpus.
public struct CorpusEntry: Sendable, Equatable {
    public var speaker: String
    /// Absolute or corpus-relative path, resolved against the corpus folder.
    public var path: String
    public var split: String
}

/// A set of labelled recordings: either a folder with `protocol.tsv` (header line; columns
/// speaker, path relative to the folder, split), or a folder with one sub-folder per speaker
/// (every audio file in it, split "all" — any split asked for is then the whole folder).
public struct Corpus: Sendable {
    public let root: String
    public let entries: [CorpusEntry]
    public let hasProtocol: Bool

    /// File extensions recognised as audio when scanning speaker folders.
    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif", "aifc", "au", "snd", "caf", "w64", "rf64", "gsm", "sph", "nist", "voc", "wve"]

    /// Reads the corpus at `root`: its protocol.tsv if present, else one sub-folder per speaker.
    public init(root: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else { throw CorpusError.notFound(root) }
        self.root = root
        let proto = (root as NSString).appendingPathComponent("protocol.tsv")
        if FileManager.default.fileExists(atPath: proto) {
            entries = try Self.parseProtocol(proto, root: root)
            hasProtocol = true
        } else {
            entries = try Self.scanFolders(root)
            hasProtocol = false
        }
        if entries.isEmpty { throw CorpusError.empty(root) }
    }

    /// Entries of one split (all entries for a folder corpus without a protocol).
    public func entries(split: String?) throws -> [CorpusEntry] {
        guard let split, hasProtocol else { return entries }
        let e = entries.filter { $0.split == split }
        if e.isEmpty { throw CorpusError.unknownSplit(root, split: split, available: splits) }
        return e
    }

    public var splits: [String] { Array(Set(entries.map(\.split))).sorted() }

    /// Speakers in order of first appearance.
    public static func speakers(_ entries: [CorpusEntry]) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for e in entries where seen.insert(e.speaker).inserted { out.append(e.speaker) }
        return out
    }

    static func parseProtocol(_ path: String, root: String) throws -> [CorpusEntry] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw CorpusError.badRow(path, line: 1, reason: "not readable as UTF-8 text")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first else { throw CorpusError.badHeader(path, found: "") }
        let cols = header.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let si = cols.firstIndex(of: "speaker"), let pi = cols.firstIndex(of: "path"), let li = cols.firstIndex(of: "split") else {
            throw CorpusError.badHeader(path, found: header)
        }
        var out: [CorpusEntry] = []
        var seen = Set<String>()
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL
        for (i, line) in lines.enumerated().dropFirst() {
            let n = i + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count > max(si, pi, li) else {
                throw CorpusError.badRow(path, line: n, reason: "expected \(cols.count) tab-separated columns, found \(f.count)")
            }
            let speaker = f[si], rel = f[pi], split = f[li]
            if speaker.isEmpty || rel.isEmpty || split.isEmpty { throw CorpusError.badRow(path, line: n, reason: "empty speaker, path or split") }
            if rel.hasPrefix("/") { throw CorpusError.escapingPath(path, line: n, path: rel) }
            let full = rootURL.appendingPathComponent(rel).standardizedFileURL
            guard full.path.hasPrefix(rootURL.path + "/") else { throw CorpusError.escapingPath(path, line: n, path: rel) }
            guard seen.insert(full.path).inserted else { throw CorpusError.duplicateRow(path, line: n, path: rel) }
            out.append(CorpusEntry(speaker: speaker, path: full.path, split: split))
        }
        return out
    }

    static func scanFolders(_ root: String) throws -> [CorpusEntry] {
        let fm = FileManager.default
        var out: [CorpusEntry] = []
        for speaker in try fm.contentsOfDirectory(atPath: root).sorted() where !speaker.hasPrefix(".") {
            let dir = (root as NSString).appendingPathComponent(speaker)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else { continue }
            for f in audioFiles(in: dir) { out.append(CorpusEntry(speaker: speaker, path: f, split: "all")) }
        }
        return out
    }

    /// Audio files below `dir` (recursively), sorted.
    public static func audioFiles(in dir: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var files: [String] = []
        while let rel = e.nextObject() as? String {
            if audioExtensions.contains((rel as NSString).pathExtension.lowercased()) {
                files.append((dir as NSString).appendingPathComponent(rel))
            }
        }
        return files.sorted()
    }

    /// Expands a list of files and folders into audio files (folders recursively).
    public static func expand(_ inputs: [String]) -> [String] {
        inputs.flatMap { p -> [String] in
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue { return audioFiles(in: p) }
            return [p]
        }
    }
}
