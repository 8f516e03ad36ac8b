import Foundation

/// A MAP-adapted speaker's sufficient statistics under its UBM, kept in the model file so audio
/// can be added later without the old recordings: the occupancies and first- and second-order
/// sums over every enrolment frame, and the frames' own moments, from which the variance floor
/// is recomputed. Both are exact sums (`ExactSum`), so adding audio gives the model enrolling
/// on all of it at once gives.
public struct EnrollmentStatistics: Sendable, Equatable {
    public private(set) var statistics: GMMStatistics
    public private(set) var moments: MomentAccumulator

    public var components: Int { statistics.components }
    public var dimension: Int { statistics.dimension }
    public var frames: Int { statistics.frames }

    /// The statistics of `frames` accumulated under the UBM, with the frames' moments.
    public init(_ statistics: GMMStatistics, frames m: FeatureMatrix) {
        self.statistics = statistics
        var moments = MomentAccumulator(columns: m.columns)
        moments.add(m)
        self.moments = moments
    }

    init(statistics: GMMStatistics, moments: MomentAccumulator) {
        self.statistics = statistics
        self.moments = moments
    }

    /// These statistics plus `other`'s (same UBM size), exactly.
    public func adding(_ other: EnrollmentStatistics) -> EnrollmentStatistics {
        precondition(other.components == components && other.dimension == dimension, "statistics of another UBM size")
        var s = statistics, m = moments
        s.merge(other.statistics)
        m.merge(other.moments)
        return EnrollmentStatistics(statistics: s, moments: m)
    }

    /// The statistics as MAP adaptation takes them.
    public var gmmStatistics: GMMStatistics { statistics }

    /// Per-dimension variance of all the frames.
    public var columnVariances: [Double] { moments.variance }

    /// The "STAT" section of a model file: K, D, frames and a flag as u32/u64, then every exact
    /// sum as its two 64-bit words (log-likelihood, occupancy, first and second order, the
    /// frames' column sums and squares), little-endian.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.appendLE(UInt32(components))
        out.appendLE(UInt32(dimension))
        out.appendLE(UInt64(frames))
        out.appendLE(UInt32(statistics.isFinite && moments.allFinite ? 1 : 0))
        let all =
            [statistics.logLikelihoodSum] + statistics.occupancySums + statistics.firstOrderSums + statistics.secondOrderSums
            + moments.sums + moments.squares
        for e in all {
            out.appendLE(UInt64(bitPattern: e.high))
            out.appendLE(e.low)
        }
        return out
    }

    /// Reads a "STAT" section for a model of `components` x `dimension`.
    static func decode(_ p: [UInt8], components K: Int, dimension D: Int, name: String) throws(ModelFileError) -> EnrollmentStatistics {
        var r = ByteReader(bytes: p, offset: 0)
        guard let k = r.u32(), let d = r.u32(), let n = r.u64(), let flag = r.u32(), Int(k) == K, Int(d) == D else {
            throw .malformed(name, reason: "enrolment statistics do not fit the model")
        }
        let count = 1 + K + 2 * K * D + 2 * D
        guard p.count == 20 + 16 * count, n <= UInt64(Int.max) else { throw .malformed(name, reason: "enrolment statistics cut short") }
        var sums: [ExactSum] = []
        sums.reserveCapacity(count)
        for _ in 0..<count {
            guard let hi = r.u64(), let lo = r.u64() else { throw .malformed(name, reason: "enrolment statistics cut short") }
            sums.append(ExactSum(high: Int64(bitPattern: hi), low: lo))
        }
        var i = 1
        func take(_ c: Int) -> [ExactSum] {
            defer { i += c }
            return Array(sums[i..<(i + c)])
        }
        let occ = take(K), first = take(K * D), second = take(K * D), colSum = take(D), colSq = take(D)
        let stats = GMMStatistics(
            components: K, dimension: D, occupancy: occ, firstOrder: first, secondOrder: second,
            logLikelihood: sums[0], frames: Int(n), isFinite: flag == 1)
        let moments = MomentAccumulator(columns: D, rows: Int(n), allFinite: flag == 1, sums: colSum, squares: colSq)
        guard stats.isFinite else { throw .invalidModel(name, reason: "enrolment statistics are not finite") }
        return EnrollmentStatistics(statistics: stats, moments: moments)
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
