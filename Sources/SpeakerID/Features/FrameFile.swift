#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Speech frames spilled to a temporary file (rows of native binary32), so EM over tens or
/// hundreds of hours streams them block by block instead of holding them: Kaldi keeps its
/// features on disk for the same reason. The file is private to one training run: it is
/// created next to the model being trained, named like ModelStore's temporaries
/// (`.speakerid-PID-RANDOM-frames.tmp`) so a run that dies leaves nothing the next write into
/// that folder does not remove, and `remove()` deletes it when training ends.
public struct FrameFile: FrameSource {
    public let path: String
    public let rows: Int
    public let columns: Int
    private let columnSummary: FrameSummary
    private let exactMoments: MomentAccumulator

    /// Column moments and finiteness, accumulated while the frames were written.
    public func summary() -> FrameSummary { columnSummary }

    /// Exact column moments, accumulated while the frames were written.
    public func moments() -> MomentAccumulator { exactMoments }

    /// Rows `range`, in one positioned read.
    public func frames(_ range: Range<Int>) throws -> FeatureMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "FrameFile: rows \(range) of \(rows)")
        var out = FeatureMatrix(rows: range.count, columns: columns)
        try withDescriptor { fd in
            try out.withUnsafeMutableValues { v in
                try Self.read(fd, into: UnsafeMutableRawBufferPointer(v), at: range.lowerBound * columns * 4, path: path)
            }
        }
        return out
    }

    /// The rows at `rows`, one positioned read each (the initialisation's sample).
    public func frames(at rows: [Int]) throws -> FeatureMatrix {
        var out = FeatureMatrix(rows: rows.count, columns: columns)
        let rowBytes = columns * 4
        try withDescriptor { fd in
            try out.withUnsafeMutableValues { v in
                let raw = UnsafeMutableRawBufferPointer(v)
                for (i, r) in rows.enumerated() {
                    precondition(r >= 0 && r < self.rows, "FrameFile: row \(r) of \(self.rows)")
                    try Self.read(
                        fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[(i * rowBytes)..<((i + 1) * rowBytes)]),
                        at: r * rowBytes, path: path)
                }
            }
        }
        return out
    }

    /// Deletes the file.
    public func remove() {
        unlink(path)
        TemporaryFiles.unregister(path)
    }

    private func withDescriptor<R>(_ body: (Int32) throws -> R) throws -> R {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FrameFileError.io(path, "open: " + String(cString: strerror(errno))) }
        defer { close(fd) }
        return try body(fd)
    }

    private static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FrameFileError.io(path, "read: " + String(cString: strerror(errno)))
            }
            if n == 0 { throw FrameFileError.io(path, "read: the file ended early (changed or truncated while training?)") }
            done += n
        }
    }

    /// Writes frames in order; `finish()` turns the file into a `FrameFile`. Used by one task
    /// at a time (not Sendable).
    public final class Writer {
        public let path: String
        public let columns: Int
        private var fd: Int32
        private var accumulator: ColumnAccumulator
        private var exact: MomentAccumulator

        /// A new, empty frame file in `directory`.
        public init(directory: String, columns: Int) throws {
            let name = ".speakerid-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-frames.tmp"
            path = PathName.join(directory, name)
            self.columns = columns
            accumulator = ColumnAccumulator(columns: columns)
            exact = MomentAccumulator(columns: columns)
            fd = TemporaryFiles.create(path, mode: 0o600)
            guard fd >= 0 else { throw FrameFileError.io(path, "create: " + String(cString: strerror(errno))) }
        }

        /// Appends the rows of `m`.
        public func append(_ m: FeatureMatrix) throws {
            precondition(m.columns == columns, "FrameFile: appending \(m.columns) columns to \(columns)")
            precondition(fd >= 0, "FrameFile: appending after finish")
            accumulator.add(m)
            exact.add(m)
            let path = self.path, fd = self.fd
            try m.values.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw FrameFileError.io(path, "write: " + String(cString: strerror(errno)))
                    }
                    done += n
                }
            }
        }

        /// Rows written so far.
        public var rows: Int { accumulator.rows }

        /// Closes the file for reading.
        public func finish() throws -> FrameFile {
            let fd = self.fd
            self.fd = -1
            guard close(fd) == 0 else { throw FrameFileError.io(path, "close: " + String(cString: strerror(errno))) }
            return FrameFile(
                path: path, rows: accumulator.rows, columns: columns, columnSummary: accumulator.summary,
                exactMoments: exact)
        }

        /// Closes and deletes the file (training failed before it was needed).
        public func discard() {
            if fd >= 0 { close(fd) }
            fd = -1
            unlink(path)
            TemporaryFiles.unregister(path)
        }

        deinit { if fd >= 0 { close(fd) } }
    }
}

/// Why frames could not be spilled to or read from disk.
public enum FrameFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case io(String, String)

    public var description: String {
        switch self {
        case .io(let path, let what): return "\(path): \(what) (frames kept on disk for training)"
        }
    }
}
