import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `protocol.tsv`: the corpus as listed rows of speaker, path and split.
extension Corpus {
    static func parseProtocol(_ path: String, root: String) throws -> [CorpusEntry] {
        let kind = FileSystem.kind(path)
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
                if Set(cols.map { $0.lowercased() }).isSuperset(of: ["speaker", "path", "split"]) {
                    header = cols
                    headerLine = line.number
                }
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
                throw CorpusError.badRow(
                    path, line: headerLine,
                    reason: "the column \(name) appears twice in the header (columns \(at.map { String($0 + 1) }.joined(separator: " and ")))")
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
                var reason =
                    "expected \(cols.count) tab-separated column\(cols.count == 1 ? "" : "s") (as in the header, line \(headerLine)), found \(found)"
                if let hint = ProtocolText.separatorHint(line.text, expectedColumns: cols.count) {
                    reason += "; \(hint)"
                } else if found < needed, lines.contains(where: { $0.ending == .lf || $0.ending == .crlf }) {
                    // A lone CR in a file of LF lines is most likely a stray one that cut a row.
                    if line.ending == .cr {
                        reason +=
                            "; a stray carriage return (CR, 0x0D) at column \(line.text.unicodeScalars.count + 1) ends this line early, while other lines end with a line feed: remove it"
                    } else if k >= 2, lines[k - 2].ending == .cr {
                        let prev = lines[k - 2]
                        reason +=
                            "; line \(prev.number) ends with a stray carriage return (CR, 0x0D) at column \(prev.text.unicodeScalars.count + 1), which cuts a row in two, while other lines end with a line feed: remove it"
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
                throw CorpusError.badRow(
                    path, line: n, reason: "the line repeats the header of line \(headerLine) (were two files joined?): remove it")
            }
            if rel.hasPrefix("/") { throw CorpusError.escapingPath(path, line: n, path: rel) }
            let full = PathName.absolute(PathName.join(absoluteRoot, rel))
            guard full.hasPrefix(inside), full != absoluteRoot else { throw CorpusError.escapingPath(path, line: n, path: rel) }
            // The same file twice, however spelled (through symbolic links too, where it exists).
            guard seen.insert(FileSystem.canonicalPath(full) ?? full).inserted else { throw CorpusError.duplicateRow(path, line: n, path: rel) }
            out.append(CorpusEntry(speaker: speaker, path: full, split: split))
        }
        return out
    }

    /// A file in `dir` that looks meant as the protocol but is not named `protocol.tsv`
    /// exactly: `protocol.csv`, `protocol.tsv.txt` (Windows hides the `.txt`), `Protocol.TSV`.
    static func protocolLookalike(in dir: String) throws -> String? {
        var ignored: [String] = []
        return try listDirectory(dir, notes: &ignored).sorted().first { name in
            let l = name.lowercased()
            return name != "protocol.tsv" && (l == "protocol" || l.hasPrefix("protocol.")) && !FileSystem.isDirectory(PathName.join(dir, name))
        }
    }
}
