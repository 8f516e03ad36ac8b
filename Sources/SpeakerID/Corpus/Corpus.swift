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
            let what = found.isEmpty ? "the file has no header line"
                : found.count == 1 && !hint.isEmpty ? "the header has no tabs: \(found[0].debugDescription)"
                : "the header lacks the column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")); it names: \(found.map { $0.isEmpty ? "(empty)" : $0 }.joined(separator: ", "))"
            return "\(p):\(l): \(what) (the first line must name the columns speaker, path and split, separated by tabs)\(hint.isEmpty ? "" : "; \(hint)")"
        case .misnamedProtocol(let d, let f):
            return "\(d): has \(f) but no protocol.tsv; rename it to protocol.tsv (saved as tab-separated UTF-8 text) or remove it, so the folder is not read as one sub-folder per speaker by mistake"
        case .emptyFolders(let d, let notes):
            return "\(d): no audio files found (expected protocol.tsv or one sub-folder per speaker): \(notes.joined(separator: "; "))"
        }
    }
}

/// One recording of a corpus.
public struct CorpusEntry: Sendable, Equatable {
    public var speaker: String
    /// Absolute or corpus-relative path, resolved against the corpus folder.
    public var path: String
    public var split: String
    /// The utterance's id in a Kaldi data folder (what trial lists name).
    public var utterance: String? = nil
    /// The part of the file this entry is, from a Kaldi `segments` file; nil for the whole file.
    public var range: TimeRange? = nil

    /// A start and an end in seconds.
    public struct TimeRange: Sendable, Equatable {
        public var start: Double
        public var end: Double
    }

    /// Where the entry's audio is: the file, or the segment of it.
    public var source: AudioSource {
        guard let range else { return .file(path) }
        return .segment(path, start: range.start, end: range.end, name: "\(utterance ?? path) (\(path) \(range.start)-\(range.end) s)")
    }

    /// How trial lists and score files name the entry: the Kaldi utterance id, else the path.
    public var name: String { utterance ?? path }
}

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
    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "aiff", "aif", "aifc", "au", "snd", "caf", "w64", "rf64", "gsm", "sph", "nist", "voc", "wve"]

    /// Reads the corpus at `root`: its protocol.tsv if present, else one sub-folder per speaker.
    public init(root: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else { throw CorpusError.notFound(root) }
        self.root = root
        let proto = PathName.join(root, "protocol.tsv")
        if fileKind(proto) == .missing && KaldiDataFolder.isOne(root) {
            entries = try KaldiDataFolder.entries(root)
            notes = []
            hasProtocol = false
        } else if fileKind(proto) != .missing {
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

    /// Audio files below `dir` (recursively, following symbolic links, each folder once), sorted.
    /// Folders that cannot be read are skipped; `expandInputs(_:)` says so.
    public static func audioFiles(in dir: String) -> [String] {
        var walker = AudioWalker(strict: false)
        return (try? walker.files(under: dir)) ?? []
    }

    /// Expands a list of files and folders into audio files (folders recursively, following
    /// symbolic links), each file once; see `expandInputs(_:)` for the notes on what was dropped.
    public static func expand(_ inputs: [String]) -> [String] { expandInputs(inputs).files }

    /// Expands the files and folders given on a command line into audio files.
    ///
    /// A folder gives its audio files (recognised by extension, recursively, sorted, following
    /// symbolic links, each folder once; hidden files skipped); anything else is kept as given
    /// (a missing file then fails where it is opened). A file reached twice — given twice,
    /// through a symbolic link, or as a folder and a file inside it — is kept once, at its first
    /// place and in its first spelling.
    /// - Returns: the files, and one sentence per thing dropped or skipped: each duplicate, a
    ///   folder without audio files, a broken link or unreadable folder inside a folder.
    public static func expandInputs(_ inputs: [String]) -> (files: [String], notes: [String]) {
        var files: [String] = [], notes: [String] = []
        var firstSpelling: [String: String] = [:]
        for input in inputs {
            let found: [String]
            if isDirectory(input) {
                // A walker per folder: a folder given twice gives its files twice, each then
                // reported below as a duplicate.
                var walker = AudioWalker(strict: false)
                found = (try? walker.files(under: input)) ?? []
                notes += walker.notes
                if found.isEmpty { notes.append("folder \(input) holds no audio files") }
            } else {
                found = [input]
            }
            for f in found {
                let key = canonicalPath(f) ?? standardized(f)
                if let first = firstSpelling[key] {
                    notes.append(first == f ? "\(f) is listed twice; counted once" : "\(f) is listed twice (also as \(first)); counted once")
                } else {
                    firstSpelling[key] = f
                    files.append(f)
                }
            }
        }
        return (files, notes)
    }

    // MARK: - Protocol files

    static func parseProtocol(_ path: String, root: String) throws -> [CorpusEntry] {
        let kind = fileKind(path)
        if case .brokenLink(let target) = kind { throw CorpusError.unreadable(path, reason: "it is a broken symbolic link, to \(target)") }
        guard kind != .directory, let data = FileManager.default.contents(atPath: path) else {
            throw CorpusError.unreadable(path, reason: kind == .directory ? "it is a folder" : SystemErrors.whyUnreadable(path))
        }
        let lines = try ProtocolText.lines(of: [UInt8](data), file: path)
        var k = 0
        // The header: the first line that is not blank or a comment ("#speaker\tpath\tsplit" is
        // taken as a header, not a comment).
        var header: [String]?
        var headerLine = 0
        while k < lines.count, header == nil {
            let line = lines[k]
            k += 1
            let trimmed = line.text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("#") {
                let cols = (try? ProtocolText.fields(of: String(trimmed.dropFirst()), line: line.number, file: path)) ?? []
                if Set(cols.map { $0.lowercased() }).isSuperset(of: ["speaker", "path", "split"]) { header = cols; headerLine = line.number }
                continue
            }
            if let hint = ProtocolText.separatorHint(line.text, expectedColumns: 3) {
                throw CorpusError.missingColumns(path, line: line.number, missing: ["speaker", "path", "split"], found: [trimmed], hint: hint)
            }
            header = try ProtocolText.fields(of: line.text, line: line.number, file: path)
            headerLine = line.number
        }
        guard var cols = header?.map({ $0.lowercased() }) else {
            throw CorpusError.missingColumns(path, line: 1, missing: ["speaker", "path", "split"], found: [], hint: "")
        }
        while cols.last?.isEmpty == true { cols.removeLast() }
        let missing = ["speaker", "path", "split"].filter { !cols.contains($0) }
        if !missing.isEmpty {
            throw CorpusError.missingColumns(path, line: headerLine, missing: missing, found: cols, hint: "")
        }
        for name in ["speaker", "path", "split"] {
            let at = cols.indices.filter { cols[$0] == name }
            if at.count > 1 {
                throw CorpusError.badRow(path, line: headerLine, reason: "the column \(name) appears twice in the header (columns \(at.map { String($0 + 1) }.joined(separator: " and ")))")
            }
        }
        guard let si = cols.firstIndex(of: "speaker"), let pi = cols.firstIndex(of: "path"), let li = cols.firstIndex(of: "split") else {
            throw CorpusError.missingColumns(path, line: headerLine, missing: missing, found: cols, hint: "")
        }
        let needed = max(si, pi, li) + 1

        var out: [CorpusEntry] = []
        var seen = Set<String>()
        let absoluteRoot = PathName.absolute(root)
        let inside = absoluteRoot == "/" ? "/" : absoluteRoot + "/"
        while k < lines.count {
            let line = lines[k], n = line.number
            k += 1
            let trimmed = line.text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            func countError(_ found: Int) -> CorpusError {
                var reason = "expected \(cols.count) tab-separated column\(cols.count == 1 ? "" : "s") (as in the header, line \(headerLine)), found \(found)"
                if let hint = ProtocolText.separatorHint(line.text, expectedColumns: cols.count) {
                    reason += "; \(hint)"
                } else if found < needed, lines.contains(where: { $0.ending == .lf || $0.ending == .crlf }) {
                    // A lone CR in a file of LF lines is most likely a stray one that cut a row.
                    if line.ending == .cr {
                        reason += "; a stray carriage return (CR, 0x0D) at column \(line.text.unicodeScalars.count + 1) ends this line early, while other lines end with a line feed: remove it"
                    } else if k >= 2, lines[k - 2].ending == .cr {
                        let prev = lines[k - 2]
                        reason += "; line \(prev.number) ends with a stray carriage return (CR, 0x0D) at column \(prev.text.unicodeScalars.count + 1), which cuts a row in two, while other lines end with a line feed: remove it"
                    }
                }
                return CorpusError.badRow(path, line: n, reason: reason)
            }
            if ProtocolText.separatorHint(line.text, expectedColumns: cols.count) != nil { throw countError(1) }
            var f = try ProtocolText.fields(of: line.text, line: n, file: path)
            while f.count > cols.count, f.last?.isEmpty == true { f.removeLast() }
            guard f.count >= needed, f.count <= cols.count else { throw countError(f.count) }
            let speaker = f[si], rel = f[pi], split = f[li]
            for (value, name, column) in [(speaker, "speaker", si), (rel, "path", pi), (split, "split", li)] where value.isEmpty {
                throw CorpusError.badRow(path, line: n, reason: "the \(name) (column \(column + 1)) is empty")
            }
            if [speaker, rel, split].map({ $0.lowercased() }) == ["speaker", "path", "split"] {
                throw CorpusError.badRow(path, line: n, reason: "the line repeats the header of line \(headerLine) (were two files joined?): remove it")
            }
            if rel.hasPrefix("/") { throw CorpusError.escapingPath(path, line: n, path: rel) }
            let full = PathName.absolute(PathName.join(absoluteRoot, rel))
            guard full.hasPrefix(inside), full != absoluteRoot else { throw CorpusError.escapingPath(path, line: n, path: rel) }
            // The same file twice, however spelled (through symbolic links too, where it exists).
            guard seen.insert(canonicalPath(full) ?? full).inserted else { throw CorpusError.duplicateRow(path, line: n, path: rel) }
            out.append(CorpusEntry(speaker: speaker, path: full, split: split))
        }
        return out
    }

    /// A file in `dir` that looks meant as the protocol but is not named `protocol.tsv`
    /// exactly: `protocol.csv`, `protocol.tsv.txt` (Windows hides the `.txt`), `Protocol.TSV`.
    static func protocolLookalike(in dir: String) throws -> String? {
        try listDirectory(dir).sorted().first { name in
            let l = name.lowercased()
            return name != "protocol.tsv" && (l == "protocol" || l.hasPrefix("protocol.")) && !isDirectory(PathName.join(dir, name))
        }
    }

    // MARK: - Folder corpora

    static func scanFolders(_ root: String) throws -> (entries: [CorpusEntry], notes: [String]) {
        var walker = AudioWalker(strict: true)
        var out: [CorpusEntry] = []
        var speakerDirs: [(name: String, path: String)] = []
        walker.claim(root)
        for name in try listDirectory(root).sorted() where !name.hasPrefix(".") {
            let p = PathName.join(root, name)
            switch fileKind(p) {
            case .directory:
                if let first = walker.claim(p) {
                    walker.notes.append("speaker folder \(p) is the same folder as \(first); speaker \(name) skipped")
                } else {
                    speakerDirs.append((name, p))
                }
            case .brokenLink(let target):
                walker.notes.append("\(p) is a broken symbolic link (to \(target)); skipped")
            case .file:
                if isAudioName(name) { walker.notes.append("\(p) is not in a speaker folder; skipped") }
            case .other, .missing:
                continue
            }
        }
        var seenFiles: [String: String] = [:]
        for (name, dir) in speakerDirs {
            var files = try walker.files(under: dir, alreadyClaimed: true)
            files = files.filter { f in
                let key = canonicalPath(f) ?? f
                if let first = seenFiles[key] {
                    walker.notes.append("\(f) is the same file as \(first); counted once")
                    return false
                }
                seenFiles[key] = f
                return true
            }
            if files.isEmpty { walker.notes.append("speaker folder \(dir) holds no audio files; speaker \(name) skipped") }
            for f in files { out.append(CorpusEntry(speaker: name, path: f, split: "all")) }
        }
        return (out, walker.notes)
    }
}

// MARK: - Text of protocol files

/// Decoding and splitting of protocol text, with positions for error messages.
enum ProtocolText {
    enum Ending: Sendable { case lf, crlf, cr, none }
    struct Line: Sendable {
        var number: Int
        var text: String
        var ending: Ending
    }

    /// The lines of a protocol file's bytes: UTF-8 (a byte-order mark is skipped) or UTF-16 with
    /// a byte-order mark; LF, CRLF and CR all end a line. Throws `CorpusError.badText` naming the
    /// line, column and byte for anything else.
    static func lines(of bytes: [UInt8], file: String) throws -> [Line] {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw CorpusError.badText(file, line: 1, column: 1, problem: "the file is a spreadsheet workbook (ZIP or Excel format), not text; save it from the spreadsheet as tab-separated text (\"Text (Tab delimited)\", UTF-8)")
        }
        var splitter = Splitter(file: file)
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            let name = little ? "UTF-16LE" : "UTF-16BE"
            let body = bytes.dropFirst(2)
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var i = body.startIndex
            while i + 1 < body.endIndex {
                let a = UInt16(body[i]), b = UInt16(body[i + 1])
                units.append(little ? a | b << 8 : a << 8 | b)
                i += 2
            }
            var parser = Unicode.UTF16.ForwardParser()
            var it = units.makeIterator()
            var offset = 0
            loop: while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let e):
                    let s = Unicode.UTF16.decode(e)
                    offset += e.count
                    try splitter.add(s)
                case .error:
                    let unit = units[offset]
                    throw splitter.error("the \(name) code unit 0x\(hex(unit, 4)) at line \(splitter.line), column \(splitter.column) is half of a character whose other half is missing (the file is damaged or cut short)")
                case .emptyInput:
                    break loop
                }
            }
            if body.count % 2 == 1 {
                throw splitter.error("the file is \(name) (it starts with a byte-order mark) but ends in the middle of a character, after line \(splitter.line), column \(splitter.column) (the file is cut short)")
            }
        } else {
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
            var parser = Unicode.UTF8.ForwardParser()
            var it = body.makeIterator()
            var offset = body.startIndex
            loop: while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let e):
                    let s = Unicode.UTF8.decode(e)
                    offset += e.count
                    if s == "\0" {
                        throw splitter.error("a NUL byte (0x00) at line \(splitter.line), column \(splitter.column) has no place in a text file (\(nulHint(bytes)))")
                    }
                    try splitter.add(s)
                case .error:
                    let b = body[offset]
                    var what = "byte 0x\(hex(b, 2))"
                    if let c = windows1252(b) { what += " (\"\(c)\" in Windows-1252/Latin-1)" }
                    throw splitter.error("\(what) at line \(splitter.line), column \(splitter.column) is not UTF-8 (the file looks like Windows-1252/Latin-1; save it as UTF-8)")
                case .emptyInput:
                    break loop
                }
            }
        }
        return splitter.finish()
    }

    /// Fields of one line: split at tabs, each trimmed of surrounding spaces and, when wrapped in
    /// double quotes, unquoted (`""` inside stands for `"`).
    static func fields(of text: String, line: Int, file: String) throws -> [String] {
        let s = Array(text.unicodeScalars)
        let n = s.count
        func isSpace(_ c: Unicode.Scalar) -> Bool { c != "\t" && c.properties.isWhitespace }
        var fields: [String] = []
        var i = 0
        while true {
            var j = i
            while j < n, isSpace(s[j]) { j += 1 }
            var k = j
            if j < n, s[j] == "\"" {
                var value = String.UnicodeScalarView()
                var closed = false
                k = j + 1
                while k < n {
                    if s[k] == "\"" {
                        if k + 1 < n, s[k + 1] == "\"" { value.append("\""); k += 2; continue }
                        closed = true
                        k += 1
                        break
                    }
                    value.append(s[k])
                    k += 1
                }
                if !closed {
                    throw CorpusError.badRow(file, line: line, reason: "the double quote at column \(j + 1) (field \(fields.count + 1)) is not closed on this line (a line break inside a quoted cell is not allowed)")
                }
                while k < n, s[k] != "\t" {
                    if !isSpace(s[k]) {
                        throw CorpusError.badRow(file, line: line, reason: "\(String(s[k]).debugDescription) at column \(k + 1) follows the closing quote of field \(fields.count + 1); a quoted field ends at its closing quote (write a quote inside it as \"\")")
                    }
                    k += 1
                }
                fields.append(String(value).trimmingCharacters(in: .whitespaces))
            } else {
                while k < n, s[k] != "\t" { k += 1 }
                var v = String.UnicodeScalarView()
                v.append(contentsOf: s[j..<k])
                fields.append(String(v).trimmingCharacters(in: .whitespaces))
            }
            if k >= n { break }
            i = k + 1
        }
        return fields
    }

    /// Why a line without tabs that should have `expectedColumns` columns probably has none:
    /// commas or semicolons (a spreadsheet's CSV export) or runs of spaces (an editor that turns
    /// tabs into spaces); nil when the line has tabs or no such look.
    static func separatorHint(_ text: String, expectedColumns: Int) -> String? {
        guard expectedColumns > 1, !text.contains("\t") else { return nil }
        for (sep, name) in [(",", "commas"), (";", "semicolons")] where text.split(separator: Character(sep)).count >= min(expectedColumns, 3) {
            return "the line seems to use \(name) instead of tabs (a spreadsheet's CSV export?): save it as tab-separated text (\"Text (Tab delimited)\") or replace the \(name) by tabs"
        }
        if text.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " }).count >= min(expectedColumns, 3) {
            return "the line has spaces but no tabs between its columns (an editor that turns tabs into spaces?): separate the columns by tabs"
        }
        return nil
    }

    /// Splits decoded text into lines, refusing characters that have no place in it.
    struct Splitter {
        let file: String
        var lines: [Line] = []
        var current = String.UnicodeScalarView()
        var line = 1
        var column = 1
        var afterCR = false

        init(file: String) { self.file = file }

        func error(_ problem: String) -> CorpusError { .badText(file, line: line, column: column, problem: problem) }

        mutating func add(_ s: Unicode.Scalar) throws {
            switch s {
            case "\r":
                end(.cr)
                afterCR = true
            case "\n":
                if afterCR {
                    lines[lines.count - 1].ending = .crlf
                    afterCR = false
                } else {
                    end(.lf)
                }
            default:
                afterCR = false
                if s == "\0" {
                    throw error("a NUL character (U+0000) at line \(line), column \(column) has no place in a text file (the file is damaged or not text)")
                }
                if s != "\t", s.properties.generalCategory == .control {
                    throw error("\(Self.controlName(s)) at line \(line), column \(column) has no place in a protocol file (only text, tabs between the columns and line breaks): remove it")
                }
                if s == "\u{FEFF}" {
                    throw error("an invisible byte-order mark (U+FEFF) at line \(line), column \(column), in the middle of the file (were two files joined?): remove it")
                }
                current.append(s)
                column += 1
            }
        }

        mutating func end(_ ending: Ending) {
            lines.append(Line(number: line, text: String(current), ending: ending))
            current = String.UnicodeScalarView()
            line += 1
            column = 1
        }

        mutating func finish() -> [Line] {
            if !current.isEmpty { end(.none) }
            return lines
        }

        static func controlName(_ s: Unicode.Scalar) -> String {
            let names: [UInt32: String] = [0x0B: "vertical tab", 0x0C: "form feed", 0x1A: "end-of-file mark (Ctrl-Z)", 0x1B: "escape", 0x7F: "delete", 0x85: "next-line"]
            let code = "U+\(hex(s.value, 4))"
            return names[s.value].map { "the control character \($0) (\(code))" } ?? "the control character \(code)"
        }
    }

    /// What a NUL byte in a would-be UTF-8 file suggests.
    static func nulHint(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(400)
        var even = 0, odd = 0
        for (i, b) in head.enumerated() where b == 0 { if i % 2 == 0 { even += 1 } else { odd += 1 } }
        if head.count >= 4, max(even, odd) * 4 >= head.count, min(even, odd) * 4 < max(even, odd) {
            return "the file looks like UTF-16 without a byte-order mark; save it as UTF-8"
        }
        return "the file is damaged or not text"
    }

    /// The character `b` stands for in Windows-1252 (Latin-1 for 0xA0–0xFF), for non-ASCII bytes.
    static func windows1252(_ b: UInt8) -> String? {
        if b >= 0xA0 { return Unicode.Scalar(b).properties.isWhitespace ? nil : String(Unicode.Scalar(b)) }
        guard b >= 0x80 else { return nil }
        let table: [UInt32] = [0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
                               0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178]
        let v = table[Int(b - 0x80)]
        return v == 0 ? nil : Unicode.Scalar(v).map { String($0) }
    }
}

private func hex<T: BinaryInteger>(_ v: T, _ digits: Int) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - s.count)) + s
}

// MARK: - Walking folders

/// What a path is, following symbolic links.
enum FileKind: Equatable {
    case directory, file, other, missing
    /// A symbolic link whose target does not exist.
    case brokenLink(String)
}

func fileKind(_ path: String) -> FileKind {
    var st = stat()
    if stat(path, &st) == 0 {
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        default: return .other
        }
    }
    var lst = stat()
    if lstat(path, &lst) == 0, lst.st_mode & S_IFMT == S_IFLNK {
        return .brokenLink((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
    }
    return .missing
}

func isDirectory(_ path: String) -> Bool { fileKind(path) == .directory }

func isAudioName(_ name: String) -> Bool { Corpus.audioExtensions.contains(PathName.pathExtension(name).lowercased()) }

/// The absolute path with symbolic links, `.` and `..` resolved, if the file exists.
func canonicalPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}

/// The absolute, lexically normalised path (for files that do not exist).
func standardized(_ path: String) -> String { PathName.absolute(path) }

/// Names in a folder (without `.` and `..`); throws `CorpusError.unreadable` with the system's
/// reason when the folder cannot be read.
func listDirectory(_ dir: String) throws -> [String] {
    guard let d = opendir(dir) else { throw CorpusError.unreadable(dir, reason: SystemErrors.describe(errno)) }
    defer { closedir(d) }
    var names: [String] = []
    while true {
        errno = 0
        guard let entry = readdir(d) else {
            if errno != 0 { throw CorpusError.unreadable(dir, reason: SystemErrors.describe(errno)) }
            break
        }
        let name = withUnsafePointer(to: entry.pointee.d_name) { p in
            p.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Finds audio files below folders, following symbolic links and reading each folder once
/// (by device and inode), so that link cycles end; collects notes on what it skips.
struct AudioWalker {
    struct FolderID: Hashable { var device: UInt64; var inode: UInt64 }

    /// Whether a folder that cannot be read is an error (corpora) or a note (command lines).
    let strict: Bool
    var notes: [String] = []
    private var visited: [FolderID: String] = [:]

    init(strict: Bool) { self.strict = strict }

    private static func id(_ path: String) -> FolderID? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FolderID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }

    /// Marks `dir` as read; returns where it was read first if it already was.
    @discardableResult
    mutating func claim(_ dir: String) -> String? {
        guard let id = Self.id(dir) else { return nil }
        if let first = visited[id] { return first }
        visited[id] = dir
        return nil
    }

    /// Audio files below `dir`, sorted. `alreadyClaimed`: `dir` was claimed by the caller.
    mutating func files(under dir: String, alreadyClaimed: Bool = false) throws -> [String] {
        if !alreadyClaimed, let first = claim(dir) {
            notes.append("\(dir) is the same folder as \(first); read once")
            return []
        }
        var out: [String] = []
        try walk(dir, into: &out)
        return out.sorted()
    }

    private mutating func walk(_ dir: String, into out: inout [String]) throws {
        let names: [String]
        do {
            names = try listDirectory(dir)
        } catch let e as CorpusError {
            if strict { throw e }
            notes.append("\(e); skipped")
            return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let p = PathName.join(dir, name)
            switch fileKind(p) {
            case .directory:
                if let first = claim(p) {
                    notes.append("\(p) is the same folder as \(first) (a symbolic link back to a folder already read); not read again")
                } else {
                    try walk(p, into: &out)
                }
            case .file:
                if isAudioName(name) { out.append(p) }
            case .brokenLink(let target):
                notes.append("\(p) is a broken symbolic link (to \(target)); skipped")
            case .other, .missing:
                continue
            }
        }
    }
}
