#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What a cached shard of frames was made from: a cache is used only when all of it matches.
public struct FrameCacheKey: Codable, Equatable, Sendable {
    /// The corpus list's checksum (`CorpusListing`), the shard, frames kept per recording.
    public var listing: String
    public var shard: Int
    public var shardCount: Int
    public var keepEvery: Int
    public var frontEnd: FrontEndOptions
    /// A checksum of the shard's audio files' paths, sizes and modification times, so a changed
    /// recording is decoded again.
    public var sources: String

    /// The key of a shard's frames.
    public init(listing: String, shard: Int, shardCount: Int, keepEvery: Int, frontEnd: FrontEndOptions, sources: String) {
        self.listing = listing
        self.shard = shard
        self.shardCount = shardCount
        self.keepEvery = keepEvery
        self.frontEnd = frontEnd
        self.sources = sources
    }
}

/// Why a frame cache could not be used.
public enum FrameCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    case damaged(String, String)
    case io(String, String)

    public var description: String {
        switch self {
        case .damaged(let p, let why): return "\(p): damaged frame cache (\(why))"
        case .io(let p, let why): return "\(p): \(why) (frame cache)"
        }
    }
}

/// One shard's normalised speech frames kept on disk between EM iterations (`accumulate
/// --frames-cache DIR`), so only the first iteration decodes audio and computes features,
/// as Kaldi keeps its features in archives. About 90 MB per hour of speech at 63 dimensions.
///
///     magic "SPKRFRMS" | u32 version 2 | u32 0x01020304 | u64 n | n bytes of JSON (key,
///     recording rows, usable files, the frames' exact moments) | u64 CRC-64 of all bytes so far | u64 rows | u32 columns |
///     u32 0 | rows x columns binary32 (native little-endian) | u64 body checksum
///
/// The body checksum is the `FastChecksum` of the `FastChecksum`s of the body's 4-MB pieces
/// (little-endian u64s, in order), so the pieces can be read and checked by several threads at
/// once. Written atomically (temporary file, fsync, rename); a file whose key or version
/// differs is not used (the caller makes a new one).
public struct FrameCache: Sendable {
    public var frames: FeatureMatrix
    public var recordingRows: [Int]
    public var files: Int
    /// The frames' exact moments, so later iterations need not add them up again.
    public var moments: MomentAccumulator

    static let magic: [UInt8] = Array("SPKRFRMS".utf8)
    static let version: UInt32 = 2
    /// Bytes of the body per checked piece: a whole number of `FastChecksum` rounds.
    static let pieceBytes = 1 << 22

    /// The body checksum of `bytes` (see the layout above).
    static func bodyChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var sums: [UInt64] = []
        for lo in stride(from: 0, to: bytes.count, by: pieceBytes) {
            sums.append(FastChecksum.checksum(UnsafeRawBufferPointer(rebasing: bytes[lo..<min(bytes.count, lo + pieceBytes)])))
        }
        return combined(sums)
    }

    static func combined(_ pieceSums: [UInt64]) -> UInt64 {
        var b: [UInt8] = []
        for v in pieceSums { b.appendLE(v) }
        return b.withUnsafeBytes { FastChecksum.checksum($0) }
    }

    struct Metadata: Codable {
        var key: FrameCacheKey
        var recordingRows: [Int]
        var files: Int
        /// The moments' exact sums, each "high:low" in hex, and whether every value was finite.
        var sums: [String]
        var squares: [String]
        var allFinite: Bool
    }

    /// Frames to cache, with their moments.
    public init(frames: FeatureMatrix, recordingRows: [Int], files: Int, moments: MomentAccumulator) {
        self.frames = frames
        self.recordingRows = recordingRows
        self.files = files
        self.moments = moments
    }

    static func hex(_ e: ExactSum) -> String { String(UInt64(bitPattern: e.high), radix: 16) + ":" + String(e.low, radix: 16) }
    static func exact(_ s: String) -> ExactSum? {
        let p = s.split(separator: ":")
        guard p.count == 2, let h = UInt64(p[0], radix: 16), let l = UInt64(p[1], radix: 16) else { return nil }
        return ExactSum(high: Int64(bitPattern: h), low: l)
    }

    /// The cache at `path` if it exists and was made for `key`; nil otherwise. The frames are
    /// read and checked on up to `threads` threads. A file that is damaged (truncated, flipped
    /// bits) throws.
    public static func read(_ path: String, key: FrameCacheKey, threads: Int = 1) throws -> FrameCache? {
        try read(path, threads: threads) { $0 == key }?.cache
    }

    /// The cache at `path` and the key it was made for, whatever that is (nil if there is no
    /// such file, or one of another version), for a caller that learns its own key while the
    /// cache is being read and compares the two afterwards. A damaged file throws.
    public static func readWithKey(_ path: String, threads: Int = 1) throws -> (key: FrameCacheKey, cache: FrameCache)? {
        try read(path, threads: threads) { _ in true }
    }

    /// The cache at `path` with its key, if the file exists and `accept` takes the key (checked
    /// before the frames are read).
    private static func read(_ path: String, threads: Int, accept: (FrameCacheKey) -> Bool) throws -> (key: FrameCacheKey, cache: FrameCache)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FrameCacheError.io(path, "open: " + SystemErrors.describe(errno))
        }
        defer { close(fd) }
        var offset = 0
        func bytes(_ n: Int) throws -> [UInt8] {
            var b = [UInt8](repeating: 0, count: n)
            try b.withUnsafeMutableBytes { try readFully(fd, $0, at: offset, path: path) }
            offset += n
            return b
        }
        var head = try bytes(24)
        guard Array(head[0..<8]) == magic else { throw FrameCacheError.damaged(path, "not a frame cache") }
        var r = ByteReader(bytes: head, offset: 8)
        guard let version = r.u32(), version >= 1, version <= 0xFFFF else { throw FrameCacheError.damaged(path, "bad header") }
        if version != Self.version { return nil }  // made by another release: rebuilt by the caller
        guard r.u32() == 0x0102_0304, let n64 = r.u64(), n64 < 1 << 30 else { throw FrameCacheError.damaged(path, "bad header") }
        head += try bytes(Int(n64))
        let crc = try bytes(8)
        var c = ByteReader(bytes: crc, offset: 0)
        guard c.u64() == CRC64.checksum(head) else { throw FrameCacheError.damaged(path, "header checksum mismatch") }
        let meta: Metadata
        do { meta = try JSONDecoder().decode(Metadata.self, from: Data(head[24...])) } catch { throw FrameCacheError.damaged(path, "metadata") }
        guard accept(meta.key) else { return nil }  // made for other frames: rebuilt by the caller
        var shape = ByteReader(bytes: try bytes(16), offset: 0)
        guard let rows64 = shape.u64(), let cols32 = shape.u32(), rows64 < 1 << 40, Int(cols32) == meta.key.frontEnd.dimension,
            meta.recordingRows.reduce(0, +) == Int(rows64)
        else { throw FrameCacheError.damaged(path, "bad shape") }
        // Read straight into the matrix's storage (no zero fill first), piece by piece on up to
        // `threads` threads (a blocking fork-join: this is I/O and copying into disjoint ranges),
        // each piece checksummed while it is still in cache.
        let count = Int(rows64) * Int(cols32), start = offset
        let byteCount = count * 4, pieceCount = (byteCount + pieceBytes - 1) / pieceBytes
        var outcomes: [Result<UInt64, any Error>] = []
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = SharedBase(pointer: UnsafeMutableRawPointer(buffer.baseAddress))
            outcomes = blockingParallelMap(count: pieceCount, threads: threads) { i throws(any Error) -> UInt64 in
                let lo = i * pieceBytes, n = min(pieceBytes, byteCount - lo)
                guard let p = base.pointer else { throw FrameCacheError.damaged(path, "no storage for the frames") }
                let part = UnsafeMutableRawBufferPointer(start: p + lo, count: n)
                try readFully(fd, part, at: start + lo, path: path)
                return FastChecksum.checksum(UnsafeRawBufferPointer(part))
            }
            initialized = count  // every byte was read, or the read below throws and drops them
        }
        let sum = combined(try outcomes.map { try $0.get() })
        let frames = FeatureMatrix(rows: Int(rows64), columns: Int(cols32), values: values)
        offset += count * 4
        var tail = ByteReader(bytes: try bytes(8), offset: 0)
        guard tail.u64() == sum else { throw FrameCacheError.damaged(path, "frames checksum mismatch") }
        var extra: UInt8 = 0
        guard pread(fd, &extra, 1, off_t(offset)) == 0 else { throw FrameCacheError.damaged(path, "bytes after the end") }
        let sums = meta.sums.compactMap(exact), squares = meta.squares.compactMap(exact)
        guard sums.count == frames.columns, squares.count == frames.columns else { throw FrameCacheError.damaged(path, "moments") }
        return (
            meta.key,
            FrameCache(
                frames: frames, recordingRows: meta.recordingRows, files: meta.files,
                moments: MomentAccumulator(
                    columns: frames.columns, rows: frames.rows, allFinite: meta.allFinite,
                    sums: sums, squares: squares))
        )
    }

    /// Writes the cache to `path` for `key`, atomically.
    public func write(_ path: String, key: FrameCacheKey) throws {
        var head = Self.magic
        head.appendLE(Self.version)
        head.appendLE(UInt32(0x0102_0304))
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let meta = [UInt8](
            try enc.encode(
                Metadata(
                    key: key, recordingRows: recordingRows, files: files, sums: moments.sums.map(Self.hex),
                    squares: moments.squares.map(Self.hex), allFinite: moments.allFinite)))
        head.appendLE(UInt64(meta.count))
        head += meta
        head.appendLE(CRC64.checksum(head))
        head.appendLE(UInt64(frames.rows))
        head.appendLE(UInt32(frames.columns))
        head.appendLE(UInt32(0))
        var tail: [UInt8] = []
        tail.appendLE(frames.values.withUnsafeBytes { Self.bodyChecksum($0) })
        let dir = PathName.parent(of: path)
        let tmp = PathName.join(dir, ".speakerid-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).tmp")
        let fd = TemporaryFiles.create(tmp, mode: 0o644)
        guard fd >= 0 else { throw FrameCacheError.io(path, "create: " + SystemErrors.describe(errno)) }
        defer { TemporaryFiles.unregister(tmp) }
        var ok = false
        defer {
            if !ok {
                close(fd)
                unlink(tmp)
            }
        }
        try head.withUnsafeBytes { try Self.writeFully(fd, $0, path: path) }
        try frames.values.withUnsafeBytes { try Self.writeFully(fd, $0, path: path) }
        try tail.withUnsafeBytes { try Self.writeFully(fd, $0, path: path) }
        guard fsync(fd) == 0, close(fd) == 0 else {
            ok = true
            unlink(tmp)
            throw FrameCacheError.io(path, "write: " + SystemErrors.describe(errno))
        }
        ok = true
        guard rename(tmp, path) == 0 else {
            let why = SystemErrors.describe(errno)
            unlink(tmp)
            throw FrameCacheError.io(path, "rename: " + why)
        }
    }

    static func writeFully(_ fd: Int32, _ b: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < b.count {
            #if canImport(Glibc)
            let n = Glibc.write(fd, b.baseAddress! + done, b.count - done)
            #else
            let n = Darwin.write(fd, b.baseAddress! + done, b.count - done)
            #endif
            if n < 0 {
                if errno == EINTR { continue }
                throw FrameCacheError.io(path, "write: " + SystemErrors.describe(errno))
            }
            done += n
        }
    }
}

private func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws {
    var done = 0
    while done < buffer.count {
        let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
        if n < 0 {
            if errno == EINTR { continue }
            throw FrameCacheError.io(path, "read: " + SystemErrors.describe(errno))
        }
        if n == 0 { throw FrameCacheError.damaged(path, "the file ends early") }
        done += n
    }
}

/// The base address of storage being filled by several threads, each writing its own disjoint
/// range (which is what makes sharing it safe).
private struct SharedBase: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer?
}
