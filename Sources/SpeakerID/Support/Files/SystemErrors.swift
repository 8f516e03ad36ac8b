import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// System error numbers in the user's terms, for messages about their files and folders
/// (never Foundation's domains and codes).
public enum SystemErrors {
    /// `e` (an `errno` value) as a short phrase: "permission denied", "read-only file system".
    public static func describe(_ e: Int32) -> String {
        switch e {
        case EACCES, EPERM: return "permission denied"
        case EROFS: return "read-only file system"
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "disk quota exceeded"
        case ENOENT: return "no such file or folder"
        case ENOTDIR: return "part of the path is a file, not a folder"
        case EISDIR: return "is a folder"
        case ENAMETOOLONG: return "a name in the path is longer than the file system allows"
        default:
            let s = String(cString: strerror(e))
            return s.prefix(1).lowercased() + s.dropFirst()
        }
    }

    /// Why the file at `path` cannot be read: the system's reason for refusing to open it, or
    /// "reading it failed" when it opens.
    static func whyUnreadable(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return describe(errno) }
        close(fd)
        return "reading it failed"
    }
}
