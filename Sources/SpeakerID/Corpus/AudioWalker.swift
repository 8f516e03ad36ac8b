import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func isAudioName(_ name: String) -> Bool { Corpus.audioExtensions.contains(PathName.pathExtension(name).lowercased()) }

/// Names in a folder (without `.` and `..`); throws `CorpusError.unreadable` with the system's
/// reason when the folder cannot be read.
///
/// A name that is not valid UTF-8 cannot be given to the file system again once Swift has
/// decoded it (the bytes become U+FFFD), so it is left out with a note in `notes`, never
/// silently.
func listDirectory(_ dir: String, notes: inout [String]) throws -> [String] {
    guard let d = opendir(dir) else { throw CorpusError.unreadable(dir, reason: SystemErrors.describe(errno)) }
    defer { closedir(d) }
    var names: [String] = []
    while true {
        errno = 0
        guard let entry = readdir(d) else {
            if errno != 0 { throw CorpusError.unreadable(dir, reason: SystemErrors.describe(errno)) }
            break
        }
        let decoded = withUnsafePointer(to: entry.pointee.d_name) { p in
            p.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                (String(validatingCString: $0), String(cString: $0))
            }
        }
        guard let name = decoded.0 else {
            notes.append("\(PathName.join(dir, decoded.1)): the name is not valid UTF-8, so it cannot be opened by name; skipped (rename it)")
            continue
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Finds audio files below folders, following symbolic links and reading each folder once
/// (by device and inode), so that link cycles end; collects notes on what it skips.
struct AudioWalker {
    struct FolderID: Hashable {
        var device: UInt64
        var inode: UInt64
    }

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
            names = try listDirectory(dir, notes: &notes)
        } catch let e as CorpusError {
            if strict { throw e }
            notes.append("\(e); skipped")
            return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let p = PathName.join(dir, name)
            switch FileSystem.kind(p) {
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
