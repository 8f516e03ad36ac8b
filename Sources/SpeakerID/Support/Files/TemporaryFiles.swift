import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temporary files this process has open: model files being written and frame files being
/// streamed. A program that is interrupted (SIGINT, SIGTERM) calls `removeAll()` before it
/// exits, so nothing is left behind; files of a process killed outright (SIGKILL) are swept by
/// the next write into the same folder, as before.
///
/// Creation and registration are one step under the lock (`create`), and `removeAll()` closes
/// the register for good: a file that another thread was about to create while the cleanup ran
/// is never created, so none can be left behind, and `cleanupBegun` tells the caller that an
/// error it meets from then on (its own file gone) is the interruption, not a failure.
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var closed = false

    /// Creates `path` (exclusively, write-only) and records it as a temporary file of this
    /// process, in one step. Returns the descriptor, or -1 with `errno` set; once `removeAll()`
    /// has run it creates nothing and returns -1 with `errno` EINTR.
    public static func create(_ path: String, mode: mode_t) -> Int32 {
        lock.lock()
        defer { lock.unlock() }
        if closed {
            errno = EINTR
            return -1
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd >= 0 { paths.insert(path) }
        return fd
    }

    /// Forgets `path` (renamed into place or deleted).
    public static func unregister(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }

    /// True once `removeAll()` has run: the process is being interrupted.
    public static var cleanupBegun: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Deletes every registered file and refuses any later creation; returns how many there were.
    @discardableResult
    public static func removeAll() -> Int {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        let all = paths
        paths.removeAll()
        for p in all { unlink(p) }
        return all.count
    }
}
