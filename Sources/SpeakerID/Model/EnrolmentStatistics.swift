import Foundation

/// A MAP-adapted speaker's sufficient statistics under its UBM, kept in the model file so audio
/// can be added later without the old recordings: the occupancies and first- and second-order
/// sums over every enrolment frame (Double), and the frames' own column sums, from which the
/// variance floor is recomputed. Adding audio adds statistics, so the result equals enrolling
/// on all the audio at once, to rounding.
public struct EnrolmentStatistics: Sendable, Equatable {
    public let components: Int
    public let dimension: Int
    public private(set) var occupancy: [Double]
    public private(set) var firstOrder: [Double]
    public private(set) var secondOrder: [Double]
    public private(set) var logLikelihood: Double
    public private(set) var frames: Int
    /// Per dimension, the sum and the sum of squares of the frames.
    public private(set) var columnSum: [Double]
    public private(set) var columnSquares: [Double]

    /// The statistics of `frames` under `statistics` (accumulated under the UBM).
    public init(_ statistics: GMMStatistics, frames m: FeatureMatrix) {
        components = statistics.components
        dimension = statistics.dimension
        occupancy = statistics.occupancy
        firstOrder = statistics.firstOrder
        secondOrder = statistics.secondOrder
        logLikelihood = statistics.logLikelihood
        frames = statistics.frames
        var s = [Double](repeating: 0, count: m.columns), q = s
        m.values.withUnsafeBufferPointer { v in
            for r in 0..<m.rows {
                for d in 0..<m.columns {
                    let x = Double(v[r * m.columns + d])
                    s[d] += x
                    q[d] += x * x
                }
            }
        }
        columnSum = s
        columnSquares = q
    }

    init(components: Int, dimension: Int, occupancy: [Double], firstOrder: [Double], secondOrder: [Double],
         logLikelihood: Double, frames: Int, columnSum: [Double], columnSquares: [Double]) {
        self.components = components
        self.dimension = dimension
        self.occupancy = occupancy
        self.firstOrder = firstOrder
        self.secondOrder = secondOrder
        self.logLikelihood = logLikelihood
        self.frames = frames
        self.columnSum = columnSum
        self.columnSquares = columnSquares
    }

    /// These statistics plus `other`'s (same UBM size).
    public func adding(_ other: EnrolmentStatistics) -> EnrolmentStatistics {
        precondition(other.components == components && other.dimension == dimension, "statistics of another UBM size")
        func add(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }
        return EnrolmentStatistics(components: components, dimension: dimension, occupancy: add(occupancy, other.occupancy),
                                   firstOrder: add(firstOrder, other.firstOrder), secondOrder: add(secondOrder, other.secondOrder),
                                   logLikelihood: logLikelihood + other.logLikelihood, frames: frames + other.frames,
                                   columnSum: add(columnSum, other.columnSum), columnSquares: add(columnSquares, other.columnSquares))
    }

    /// The statistics as MAP adaptation takes them.
    public var gmmStatistics: GMMStatistics {
        var s = GMMStatistics(components: components, dimension: dimension)
        s.occupancy = occupancy
        s.firstOrder = firstOrder
        s.secondOrder = secondOrder
        s.logLikelihood = logLikelihood
        s.frames = frames
        return s
    }

    /// Per-dimension variance of all the frames.
    public var columnVariances: [Double] {
        let n = Double(max(frames, 1))
        return zip(columnSum, columnSquares).map { s, q in max(q / n - (s / n) * (s / n), 0) }
    }

    /// The "STAT" section of a model file: K, D as u32, frames as u64, then log-likelihood,
    /// occupancy, first and second order, column sums and squares as little-endian binary64.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(UInt32(components))
        out.appendLE(UInt32(dimension))
        out.appendLE(UInt64(frames))
        for v in [logLikelihood] + occupancy + firstOrder + secondOrder + columnSum + columnSquares { out.appendLE(v.bitPattern) }
        return out
    }

    /// Reads a "STAT" section for a model of `components` x `dimension`.
    static func decode(_ p: [UInt8], components K: Int, dimension D: Int, name: String) throws(ModelFileError) -> EnrolmentStatistics {
        var r = ByteReader(bytes: p, offset: 0)
        guard let k = r.u32(), let d = r.u32(), let n = r.u64(), Int(k) == K, Int(d) == D else {
            throw .malformed(name, reason: "enrolment statistics do not fit the model")
        }
        let count = 1 + K + 2 * K * D + 2 * D
        guard p.count == 16 + 8 * count, n <= UInt64(Int.max) else { throw .malformed(name, reason: "enrolment statistics cut short") }
        let v = (0..<count).map { _ in Double(bitPattern: r.u64() ?? 0) }
        guard v.allSatisfy(\.isFinite) else { throw .invalidModel(name, reason: "enrolment statistics are not finite") }
        var i = 1
        func take(_ c: Int) -> [Double] { defer { i += c }; return Array(v[i..<(i + c)]) }
        return EnrolmentStatistics(components: K, dimension: D, occupancy: take(K), firstOrder: take(K * D), secondOrder: take(K * D),
                                   logLikelihood: v[0], frames: Int(n), columnSum: take(D), columnSquares: take(D))
    }
}

/// One recording a model was enrolled from: where it was, and a checksum of its bytes, so the
/// same file is recognised when it is given again.
public struct EnrolledFile: Codable, Sendable, Equatable {
    public var path: String
    /// CRC-64 of the file's bytes, hex; nil for audio that was not a file (standard input).
    public var checksum: String?
    /// Seconds of speech it gave.
    public var speechSeconds: Double

    /// A record of `path` (its bytes are read for the checksum).
    public init(path: String, speechSeconds: Double) {
        self.path = path
        self.speechSeconds = speechSeconds
        checksum = Self.checksum(ofFileAt: path)
    }

    /// A record of audio that is not a file (standard input, memory).
    public init(name: String, speechSeconds: Double) {
        path = name
        self.speechSeconds = speechSeconds
        checksum = nil
    }

    /// CRC-64 (hex) of a file's bytes, streamed; nil if it cannot be read.
    public static func checksum(ofFileAt path: String) -> String? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        var crc = CRC64()
        while let chunk = try? h.read(upToCount: 1 << 20), !chunk.isEmpty { crc.update(chunk) }
        return String(format: "%016llx", crc.value)
    }
}
