import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where output may be written, checked before any work: a file's folder must exist and take
/// files; a folder is made (with the folders above it) only when files can be written there.
/// Messages speak of the user's paths.
public enum OutputLocation {
    /// Creates `folder` (and the folders above it) when files can be written there, or says why
    /// not in the user's terms (`folderProblem`, or why it could not be created); nil when done.
    public static func prepareFolder(_ folder: String) -> String? {
        if let problem = folderProblem(folder) { return problem }
        if !FileSystem.exists(folder) {
            if let e = makeFolders(folder) { return "cannot create the folder: " + SystemErrors.describe(e) }
        }
        return nil
    }

    /// `mkdir -p`: `folder` and the folders above it; the system's errno when one cannot be
    /// made (Foundation's createDirectory words ENAMETOOLONG as "the file doesn't exist").
    static func makeFolders(_ folder: String) -> Int32? {
        if FileSystem.exists(folder) { return FileSystem.isDirectory(folder) ? nil : ENOTDIR }
        let parent = PathName.parent(of: folder)
        if parent != folder, parent != ".", parent != "/", let e = makeFolders(parent) { return e }
        if mkdir(folder, 0o755) != 0, errno != EEXIST { return errno }
        return nil
    }

    /// Why files cannot be written into `folder` (or `folder` be created, when it does not
    /// exist), in the user's terms, or nil when they can. Creates nothing that stays: whether
    /// the folder (or its nearest existing parent) takes files is tried with a file that is
    /// removed at once, since permission bits say nothing for root or on read-only mounts.
    public static func folderProblem(_ folder: String) -> String? {
        var existing = folder.isEmpty ? "." : folder
        while !FileSystem.exists(existing) {
            let up = PathName.parent(of: existing)
            if up == existing || up.isEmpty {
                existing = up.isEmpty ? "." : up
                break
            }
            existing = up
        }
        if !FileSystem.isDirectory(existing) { return "\(existing) is a file, not a folder" }
        let probe = PathName.join(existing, ".speakerid-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-probe.tmp")
        let fd = TemporaryFiles.create(probe, mode: 0o600)
        guard fd >= 0 else {
            let e = errno
            if e == EINTR { return nil }  // being interrupted: the signal says so
            if e == ENOENT { return "the folder \(existing) does not take new files" }
            return "cannot write in the folder \(existing): " + SystemErrors.describe(e)
        }
        close(fd)
        unlink(probe)
        TemporaryFiles.unregister(probe)
        return nil
    }

    /// Checks a single-file output (a UBM, say) can be written at `path` before any work:
    /// not a folder, its folder creatable and writable. Returns that folder.
    @discardableResult
    public static func prepareFile(_ path: String) throws(FileWriteError) -> String {
        if path.hasSuffix("/") { throw .writeFailed(path, reason: "it ends with '/', which names a folder; give a file name") }
        if path.isEmpty { throw .writeFailed("", reason: "empty path") }
        if FileSystem.isDirectory(path) {
            throw .writeFailed(path, reason: "is a folder; give a file name")
        }
        let dir = PathName.parent(of: path)
        let folder = dir.isEmpty ? "." : dir
        if !FileSystem.exists(folder) {
            // A file's folder is not created: a typing error would make a folder tree unseen.
            if let problem = folderProblem(folder), problem.hasSuffix("is a file, not a folder") { throw .writeFailed(path, reason: problem) }
            throw .writeFailed(path, reason: "the folder \(folder) does not exist")
        }
        if !FileSystem.isDirectory(folder) { throw .writeFailed(path, reason: "\(folder) is a file, not a folder") }
        if let problem = folderProblem(folder) { throw .writeFailed(path, reason: problem) }
        return folder
    }

    /// Refuses an output that is one of the command's own inputs (the same file, however
    /// spelled or linked): writing it would destroy what the command reads. `inputs` are
    /// (what, path) pairs, "the UBM" and "ubm.gmm", say; those that do not exist are ignored.
    public static func refuseOverwriting(_ output: String, inputs: [(what: String, path: String)]) throws(FileWriteError) {
        var out = stat()
        guard stat(output, &out) == 0 else { return }
        for input in inputs {
            var st = stat()
            if stat(input.path, &st) == 0, st.st_dev == out.st_dev, st.st_ino == out.st_ino {
                throw .writeFailed(output, reason: "it is \(input.what) (\(input.path)), which this command reads; give another output file")
            }
        }
    }
}
