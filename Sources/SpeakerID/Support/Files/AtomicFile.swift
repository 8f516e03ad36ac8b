import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an output file cannot be written; the path is the user's.
public enum FileWriteError: Error, Equatable, Sendable, CustomStringConvertible {
    case writeFailed(String, reason: String)

    /// The path, as given.
    public var path: String {
        if case .writeFailed(let p, _) = self { return p }
        return ""
    }
    /// Why, in the user's terms.
    public var reason: String {
        if case .writeFailed(_, let r) = self { return r }
        return ""
    }

    public var description: String {
        path.isEmpty ? "an empty path was given where a file or folder is to be written" : "\(path): cannot be written (\(reason))"
    }
}

/// Files written whole or not at all: the bytes go to a temporary file in the same folder, are
/// flushed with fsync, then renamed over the old file, and the folder is fsynced; a crash or an
/// interruption leaves the old file or none, never part of one.
public enum AtomicFile {
    /// Writes any output file (a report, a score list) as models are written: a temporary
    /// file in the same folder, fsync, rename; an interrupted or failed write leaves the old
    /// file or none, never part of one.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileWriteError) {
        let folder = try OutputLocation.prepareFile(path)
        try write(bytes, to: path, directory: folder)
    }

    /// Temporary files are named `.speakerid-PID-RANDOM.tmp`: a writer killed mid-write leaves
    /// one behind, and the next write into the folder removes those whose process is gone
    /// (never another live writer's).
    static func removeStaleTemporaries(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".speakerid-") && name.hasSuffix(".tmp") {
            let parts = name.dropFirst(".speakerid-".count).split(separator: "-")
            guard let pid = parts.first.flatMap({ Int32($0) }), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink(PathName.join(directory, name))
            }
        }
    }

    static func write(_ bytes: [UInt8], to target: String, directory: String) throws(FileWriteError) {
        removeStaleTemporaries(in: directory)
        let tmp = PathName.join(directory, ".speakerid-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).tmp")
        let fd = TemporaryFiles.create(tmp, mode: 0o644)
        guard fd >= 0 else { throw FileWriteError.writeFailed(target, reason: SystemErrors.describe(errno)) }
        defer { TemporaryFiles.unregister(tmp) }
        var ok = false
        defer {
            if !ok {
                close(fd)
                unlink(tmp)
            }
        }
        var written = 0
        var failure: FileWriteError?
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            while written < raw.count {
                let n = systemWrite(fd, base + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .writeFailed(target, reason: SystemErrors.describe(errno))
                    return
                }
                written += n
            }
        }
        if let failure { throw failure }
        guard fsync(fd) == 0 else { throw FileWriteError.writeFailed(target, reason: "fsync: " + SystemErrors.describe(errno)) }
        guard close(fd) == 0 else {
            ok = true
            unlink(tmp)
            throw FileWriteError.writeFailed(target, reason: "close: " + SystemErrors.describe(errno))
        }
        ok = true
        guard systemRename(tmp, target) == 0 else {
            let reason = SystemErrors.describe(errno)
            unlink(tmp)
            throw FileWriteError.writeFailed(target, reason: reason)
        }
        let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}

/// `rename(2)`, which a type's own `rename` would otherwise shadow.
private func systemRename(_ from: String, _ to: String) -> Int32 {
    #if canImport(Glibc)
    return Glibc.rename(from, to)
    #else
    return Darwin.rename(from, to)
    #endif
}

/// `write(2)` under the C library's own module name on every platform.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
