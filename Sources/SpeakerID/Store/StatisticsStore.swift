import Foundation

/// Statistics files on disk: read and verified, or written atomically like models (temporary
/// file, fsync, rename), so a killed `accumulate` never leaves half a file that a later
/// `sum-stats` or a resumed cluster run could take for a shard's statistics.
extension ModelStore {
    /// Reads and verifies one statistics file.
    public static func loadStatistics(path: String) throws -> StatisticsFile {
        if FileSystem.isDirectory(path) {
            throw ModelStoreError.readFailed(path, reason: "is a folder, not a statistics file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            if !FileManager.default.fileExists(atPath: path) { throw ModelStoreError.readFailed(path, reason: "no such file") }
            let why = SystemErrors.whyUnreadable(path)
            throw ModelStoreError.readFailed(path, reason: why)
        }
        return try StatisticsFile.decode([UInt8](data), name: path)
    }

    /// Writes `statistics` to `path` atomically.
    public static func write(_ statistics: StatisticsFile, to path: String) throws {
        let folder = try OutputLocation.prepareFile(path)
        try AtomicFile.write(try statistics.encode(), to: path, directory: folder)
    }
}
