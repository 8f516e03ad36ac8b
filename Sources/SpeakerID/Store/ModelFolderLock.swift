import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock on a models folder, as SQLite and git keep one: every command that changes
/// the folder holds it exclusively for its whole read-modify-write (`enroll --add` reads a
/// model, adapts it and writes it back; a rename writes the new file, then removes the old),
/// and every reader holds it shared while it lists and loads the models, so no reader sees a
/// rename half done and no two writers interleave.
///
/// The lock is `flock(2)` on the folder itself (opened read-only), so it leaves no file behind
/// and works in a folder that cannot be written. It is released when the value is released,
/// or when the process ends, however it ends (SIGKILL included). Within one process a folder's
/// lock is held once: a second request for it while it is held (a `loadAll` inside a command
/// holding the exclusive lock) shares the holder's lock instead of waiting for itself.
public final class ModelFolderLock: Sendable {
    /// Shared for commands that read the folder, exclusive for those that change it.
    public enum Mode: Sendable { case shared, exclusive }

    /// How long a command waits for another one to finish with the folder before it gives up:
    /// 30 s, or `SPEAKERID_LOCK_WAIT` seconds (0-3600) from the environment, for scripts that
    /// would rather fail at once.
    public static let defaultWait: Duration = {
        if let text = ProcessInfo.processInfo.environment["SPEAKERID_LOCK_WAIT"], let s = Double(text), s >= 0, s <= 3600 {
            return .milliseconds(Int((s * 1000).rounded()))
        }
        return .seconds(30)
    }()

    let key: String
    /// Whether this value counts as a holder (false for a folder read unlocked).
    let counted: Bool

    /// Locks the models folder `directory` (which must exist), waiting up to `wait` for other
    /// processes to release it.
    public init(directory: String, mode: Mode, wait: Duration = ModelFolderLock.defaultWait) throws(ModelStoreError) {
        let key = Self.canonical(directory)
        self.key = key
        if Self.withTable({ table in
            guard let entry = table[key] else { return false }
            table[key] = (entry.fd, entry.count + 1)
            return true
        }) {
            counted = true
            return
        }
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if descriptor < 0 {
            let e = errno
            if mode == .shared {  // the reader's own check names the missing or unreadable folder
                counted = false
                return
            }
            throw .writeFailed(directory, reason: "cannot lock the models folder: " + SystemErrors.describe(e))
        }
        let operation = mode == .exclusive ? LOCK_EX : LOCK_SH
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: wait)
        while flock(descriptor, operation | LOCK_NB) != 0 {
            let e = errno
            if e == EINTR { continue }
            guard e == EWOULDBLOCK else {
                close(descriptor)
                throw .writeFailed(directory, reason: "cannot lock the models folder: " + SystemErrors.describe(e))
            }
            if clock.now >= deadline {
                close(descriptor)
                throw .busy(directory)
            }
            usleep(20_000)
        }
        counted = true
        Self.withTable { $0[key] = (descriptor, 1) }
    }

    deinit {
        guard counted else { return }
        let last = Self.withTable { table -> Int32? in
            guard let entry = table[key] else { return nil }
            if entry.count <= 1 {
                table[key] = nil
                return entry.fd
            }
            table[key] = (entry.fd, entry.count - 1)
            return nil
        }
        if let fd = last {
            _ = flock(fd, LOCK_UN)
            close(fd)
        }
    }

    /// Locks held by this process, by folder: the descriptor and how many holders share it.
    nonisolated(unsafe) private static var held: [String: (fd: Int32, count: Int)] = [:]
    private static let tableLock = NSLock()

    private static func withTable<T>(_ body: (inout [String: (fd: Int32, count: Int)]) -> T) -> T {
        tableLock.lock()
        defer { tableLock.unlock() }
        return body(&held)
    }

    /// One key per folder however it is spelled ("m", "./m", "m/"), from its device and inode.
    static func canonical(_ directory: String) -> String {
        var st = stat()
        if stat(directory, &st) == 0 { return "\(st.st_dev):\(st.st_ino)" }
        return directory
    }
}
