import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a path is, following symbolic links.
public enum FileKind: Equatable, Sendable {
    case directory, file, other, missing
    /// A symbolic link whose target does not exist.
    case brokenLink(String)
}

/// What is at a path, asked of the file system in one place (instead of Foundation's
/// `fileExists(atPath:isDirectory:)` and its `ObjCBool` at every call site).
public enum FileSystem {
    /// What `path` is, following symbolic links.
    public static func kind(_ path: String) -> FileKind {
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

    /// Whether `path` is a folder (or a link to one).
    public static func isDirectory(_ path: String) -> Bool { kind(path) == .directory }

    /// Whether `path` is a regular file (or a link to one).
    public static func isRegularFile(_ path: String) -> Bool { kind(path) == .file }

    /// Whether anything is at `path` (a link is followed; a broken link is nothing).
    public static func exists(_ path: String) -> Bool {
        switch kind(path) {
        case .missing, .brokenLink: return false
        default: return true
        }
    }

    /// The absolute path with symbolic links, `.` and `..` resolved, if the file exists.
    static func canonicalPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
