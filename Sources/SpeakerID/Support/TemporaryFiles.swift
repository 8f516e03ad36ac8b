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
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []

    /// Records `path` as a temporary file of this process.
    public static func register(_ path: String) {
        lock.lock()
        paths.insert(path)
        lock.unlock()
    }

    /// Forgets `path` (renamed into place or deleted).
    public static func unregister(_ path: String) {
        lock.lock()
        paths.remove(path)
        lock.unlock()
    }

    /// Deletes every registered file; returns how many there were.
    @discardableResult
    public static func removeAll() -> Int {
        lock.lock()
        let all = paths
        paths.removeAll()
        lock.unlock()
        for p in all { unlink(p) }
        return all.count
    }
}
