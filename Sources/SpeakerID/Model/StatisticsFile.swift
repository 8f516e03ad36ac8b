import Foundation

/// Why a statistics file could not be read or summed.
public enum StatisticsFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(String, bytes: Int)
    case wrongMagic(String)
    case newerVersion(String, version: UInt32)
    case checksumMismatch(String)
    case malformed(String, reason: String)
    /// Two files that cannot be summed, or statistics that do not fit a model: the whole sentence.
    case mismatch(String)

    public var description: String {
        switch self {
        case .tooShort(let p, let n): return "\(p): not a SpeakerID statistics file (only \(n) bytes)"
        case .wrongMagic(let p): return "\(p): not a SpeakerID statistics file (wrong magic number)"
        case .newerVersion(let p, let v):
            return "\(p): statistics format version \(v) is newer than this SpeakerID reads (\(StatisticsFile.version)); upgrade SpeakerID"
        case .checksumMismatch(let p): return "\(p): corrupt statistics file (checksum mismatch: the file was damaged or truncated)"
        case .malformed(let p, let r): return "\(p): corrupt statistics file (\(r))"
        case .mismatch(let s): return s
        }
    }
}

/// EM statistics of some shards of a training set, as a file (`speakerid accumulate` writes
/// one per shard, `sum-stats` adds them, `update` turns them into the next model): Kaldi's
/// `gmm-global-acc-stats` / `gmm-global-sum-accs` accumulators, with what it takes to refuse a
/// wrong sum: the model they were accumulated under (its content checksum), the front end,
/// which file list and which of its shards they cover.
///
/// Version 1, little-endian, in the model file's style:
///
///     magic "SPKRSTAT" | u32 version | u32 byte-order mark 0x01020304 |
///     sections: 4-byte tag, u64 length, payload:
///       "META": JSON (model, frontEnd, listing, shardCount, shards, keepEvery, files, toolVersion)
///       "GMMS": u32 K, u32 D, u64 frames, u8 finite, then K occupancies, K x D first-order,
///               K x D second-order sums and the log-likelihood sum
///       "MOMS": u32 D, u64 rows, u8 finite, then D sums and D sums of squares
///     | "END\0", u64 8, u64 CRC-64/XZ of every byte before the END tag.
///
/// Every sum is an `ExactSum` (units of 2^-50), stored zigzag-encoded as a base-128 varint
/// (at most 19 bytes; about 9 for typical values): a 2,048 x 63 UBM's statistics take about
/// 2.3 MB.
public struct StatisticsFile: Sendable, Equatable {
    public static let magic: [UInt8] = Array("SPKRSTAT".utf8)
    public static let version: UInt32 = 1
    static let byteOrderMark: UInt32 = 0x0102_0304

    /// The E-step statistics.
    public var statistics: GMMStatistics
    /// Exact moments of the same frames, for the variance floor.
    public var moments: MomentAccumulator
    /// Checksum (hex) of the model file the statistics were accumulated under.
    public var model: String
    /// The front end the frames were made with.
    public var frontEnd: FrontEndOptions
    /// Which frames: the checksum (hex) of the file list, how many shards it was cut into,
    /// which of them these statistics cover (ascending), frames kept per recording
    /// (`--keep-every`), and the usable files among the covered shards.
    public var listing: String
    public var shardCount: Int
    public var shards: [Int]
    public var keepEvery: Int
    public var files: Int

    /// Statistics of `shards` of `shardCount` over the file list `listing`.
    public init(
        statistics: GMMStatistics, moments: MomentAccumulator, model: String, frontEnd: FrontEndOptions,
        listing: String, shardCount: Int, shards: [Int], keepEvery: Int, files: Int
    ) {
        self.statistics = statistics
        self.moments = moments
        self.model = model
        self.frontEnd = frontEnd
        self.listing = listing
        self.shardCount = shardCount
        self.shards = shards
        self.keepEvery = keepEvery
        self.files = files
    }

    struct Metadata: Codable {
        var model: String
        var frontEnd: FrontEndOptions
        var listing: String
        var shardCount: Int
        var shards: [Int]
        var keepEvery: Int
        var files: Int
        var toolVersion: String
    }

    /// The shards of the list not covered yet (empty when the statistics are complete).
    public var missingShards: [Int] {
        let have = Set(shards)
        return (0..<shardCount).filter { !have.contains($0) }
    }

    /// Adds `other` (read from `otherName`) to these statistics (read from `name`), refusing,
    /// with one sentence naming both files, statistics that cannot be summed: another model,
    /// front end, file list or shard count, or a shard counted twice.
    public mutating func merge(_ other: StatisticsFile, name: String, otherName: String) throws(StatisticsFileError) {
        if other.model != model {
            throw .mismatch(
                "\(otherName): accumulated under another model (checksum \(other.model)) than \(name) (\(model)); accumulate every shard under the same model"
            )
        }
        if other.frontEnd != frontEnd {
            throw .mismatch("\(otherName): made with another front end than \(name) (\(FrontEndOptions.differences(frontEnd, other.frontEnd)))")
        }
        if other.listing != listing || other.shardCount != shardCount || other.keepEvery != keepEvery {
            throw .mismatch(
                "\(otherName): statistics of another file list than \(name) (list \(other.listing) in \(other.shardCount) shards, keep-every \(other.keepEvery), against \(listing) in \(shardCount), keep-every \(keepEvery)); accumulate every shard from the same corpora, splits, frame thinning and shard count"
            )
        }
        let twice = Set(shards).intersection(other.shards).sorted()
        if let s = twice.first {
            throw .mismatch("\(otherName): shard \(s)/\(shardCount) is already summed in \(name); each shard may be counted once")
        }
        guard other.statistics.components == statistics.components, other.statistics.dimension == statistics.dimension else {
            throw .mismatch(
                "\(otherName): \(other.statistics.components)x\(other.statistics.dimension) statistics cannot be added to \(name)'s \(statistics.components)x\(statistics.dimension)"
            )
        }
        statistics.merge(other.statistics)
        moments.merge(other.moments)
        shards = (shards + other.shards).sorted()
        files += other.files
    }

    // MARK: - Bytes

    /// The bytes of a version-1 statistics file.
    public func encode() throws -> [UInt8] {
        var out = Self.magic
        out.appendLE(Self.version)
        out.appendLE(Self.byteOrderMark)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let meta = try enc.encode(
            Metadata(
                model: model, frontEnd: frontEnd, listing: listing, shardCount: shardCount,
                shards: shards, keepEvery: keepEvery, files: files, toolVersion: SpeakerIDVersion.current))
        out.appendSection("META", [UInt8](meta))
        let s = statistics
        var g: [UInt8] = []
        g.reserveCapacity(17 + 10 * (s.components * (1 + 2 * s.dimension) + 1))
        g.appendLE(UInt32(s.components))
        g.appendLE(UInt32(s.dimension))
        g.appendLE(UInt64(s.frames))
        g.append(s.isFinite ? 1 : 0)
        for v in s.occupancySums { g.appendVarint(v) }
        for v in s.firstOrderSums { g.appendVarint(v) }
        for v in s.secondOrderSums { g.appendVarint(v) }
        g.appendVarint(s.logLikelihoodSum)
        out.appendSection("GMMS", g)
        var m: [UInt8] = []
        m.appendLE(UInt32(moments.columns))
        m.appendLE(UInt64(moments.rows))
        m.append(moments.allFinite ? 1 : 0)
        for v in moments.sums { m.appendVarint(v) }
        for v in moments.squares { m.appendVarint(v) }
        out.appendSection("MOMS", m)
        var tail: [UInt8] = []
        tail.appendLE(CRC64.checksum(out))
        out.appendSection("END\0", tail)
        return out
    }

    /// Reads a statistics file's bytes, verifying magic, version, byte order, checksum, sizes
    /// and consistency; `name` is used in messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(StatisticsFileError) -> StatisticsFile {
        guard bytes.count >= 16 + 20 else {
            if bytes.count >= 8 && Array(bytes[0..<8]) != magic { throw .wrongMagic(name) }
            throw .tooShort(name, bytes: bytes.count)
        }
        guard Array(bytes[0..<8]) == magic else { throw .wrongMagic(name) }
        var r = ByteReader(bytes: bytes, offset: 8)
        guard let ver = r.u32() else { throw .tooShort(name, bytes: bytes.count) }
        if ver > version { throw .newerVersion(name, version: ver) }
        if ver == 0 { throw .malformed(name, reason: "format version 0") }
        guard r.u32() == byteOrderMark else { throw .malformed(name, reason: "bad byte-order mark") }
        let endAt = bytes.count - 20
        var t = ByteReader(bytes: bytes, offset: endAt)
        guard t.tag() == "END\0", t.u64() == 8, let stored = t.u64() else { throw .checksumMismatch(name) }
        guard CRC64.checksum(bytes[0..<endAt]) == stored else { throw .checksumMismatch(name) }

        var meta: Metadata?
        var stats: GMMStatistics?
        var moments: MomentAccumulator?
        while r.offset < endAt {
            guard let tag = r.tag(), let len64 = r.u64() else { throw .malformed(name, reason: "section header cut short") }
            guard len64 <= UInt64(endAt - r.offset) else { throw .malformed(name, reason: "section \(ModelFile.printable(tag)) runs past the end") }
            let range = r.offset..<(r.offset + Int(len64))
            r.offset = range.upperBound
            switch tag {
            case "META":
                do { meta = try JSONDecoder().decode(Metadata.self, from: Data(bytes[range])) } catch {
                    throw .malformed(name, reason: "metadata is not valid: \(error)")
                }
            case "GMMS": stats = try decodeStatistics(bytes, range, name: name)
            case "MOMS": moments = try decodeMoments(bytes, range, name: name)
            default: continue  // unknown sections are skipped: later minor additions stay readable
            }
        }
        guard let meta else { throw .malformed(name, reason: "no META section") }
        guard let stats else { throw .malformed(name, reason: "no GMMS section") }
        guard let moments else { throw .malformed(name, reason: "no MOMS section") }
        guard meta.shardCount >= 1, meta.shardCount <= 1_000_000, meta.keepEvery >= 1, meta.files >= 0,
            !meta.shards.isEmpty, meta.shards == Array(Set(meta.shards)).sorted(),
            meta.shards.allSatisfy({ (0..<meta.shardCount).contains($0) })
        else {
            throw .malformed(name, reason: "shards \(meta.shards) of \(meta.shardCount) are not a valid set")
        }
        guard stats.dimension == meta.frontEnd.dimension, moments.columns == stats.dimension else {
            throw .malformed(name, reason: "dimension \(stats.dimension) does not match the front end's \(meta.frontEnd.dimension)")
        }
        guard moments.rows == stats.frames else {
            throw .malformed(name, reason: "moments of \(moments.rows) frames beside statistics of \(stats.frames)")
        }
        return StatisticsFile(
            statistics: stats, moments: moments, model: meta.model, frontEnd: meta.frontEnd, listing: meta.listing,
            shardCount: meta.shardCount, shards: meta.shards, keepEvery: meta.keepEvery, files: meta.files)
    }

    static func decodeStatistics(_ bytes: [UInt8], _ range: Range<Int>, name: String) throws(StatisticsFileError) -> GMMStatistics {
        var r = ByteReader(bytes: bytes, offset: range.lowerBound)
        guard range.count >= 17, let k32 = r.u32(), let d32 = r.u32(), let n = r.u64() else {
            throw .malformed(name, reason: "statistics header cut short")
        }
        guard k32 >= 1, k32 <= UInt32(ModelFile.maximumComponents), d32 >= 1, d32 <= UInt32(ModelFile.maximumDimension),
            n <= UInt64(Int.max)
        else {
            throw .malformed(name, reason: "\(k32) components of dimension \(d32), \(n) frames")
        }
        let finite = bytes[r.offset]
        guard finite <= 1 else { throw .malformed(name, reason: "bad finiteness flag") }
        let K = Int(k32), D = Int(d32)
        // Each value takes at least one byte: refuse before allocating for an absurd K x D.
        guard K * (1 + 2 * D) + 1 <= range.upperBound - r.offset - 1 else {
            throw .malformed(name, reason: "statistics section holds \(range.count) bytes, too few for K=\(K), D=\(D)")
        }
        var v = VarintReader(bytes: bytes, offset: r.offset + 1, end: range.upperBound)
        let occ = try v.values(K, name: name), first = try v.values(K * D, name: name), second = try v.values(K * D, name: name)
        let ll = try v.values(1, name: name)[0]
        guard v.offset == range.upperBound else {
            throw .malformed(name, reason: "statistics section has \(range.upperBound - v.offset) bytes left over")
        }
        return GMMStatistics(
            components: K, dimension: D, occupancy: occ, firstOrder: first, secondOrder: second,
            logLikelihood: ll, frames: Int(n), isFinite: finite == 1)
    }

    static func decodeMoments(_ bytes: [UInt8], _ range: Range<Int>, name: String) throws(StatisticsFileError) -> MomentAccumulator {
        var r = ByteReader(bytes: bytes, offset: range.lowerBound)
        guard range.count >= 13, let d32 = r.u32(), let n = r.u64() else { throw .malformed(name, reason: "moments header cut short") }
        guard d32 >= 1, d32 <= UInt32(ModelFile.maximumDimension), n <= UInt64(Int.max) else {
            throw .malformed(name, reason: "moments of dimension \(d32) over \(n) frames")
        }
        let finite = bytes[r.offset]
        guard finite <= 1 else { throw .malformed(name, reason: "bad finiteness flag") }
        let D = Int(d32)
        var v = VarintReader(bytes: bytes, offset: r.offset + 1, end: range.upperBound)
        let sums = try v.values(D, name: name), squares = try v.values(D, name: name)
        guard v.offset == range.upperBound else {
            throw .malformed(name, reason: "moments section has \(range.upperBound - v.offset) bytes left over")
        }
        return MomentAccumulator(columns: D, rows: Int(n), allFinite: finite == 1, sums: sums, squares: squares)
    }
}

/// Reads zigzag base-128 varints of 128-bit values.
struct VarintReader {
    let bytes: [UInt8]
    var offset: Int
    let end: Int

    mutating func values(_ n: Int, name: String) throws(StatisticsFileError) -> [ExactSum] {
        var out = [ExactSum]()
        out.reserveCapacity(n)
        for _ in 0..<n {
            var low: UInt64 = 0, high: UInt64 = 0, shift = 0
            while true {
                guard offset < end else { throw .malformed(name, reason: "a value runs past the end of its section") }
                let b = bytes[offset]
                offset += 1
                let bits = UInt64(b & 0x7F)
                if shift < 64 {
                    low |= bits << UInt64(shift)
                    if shift > 57 { high |= bits >> UInt64(64 - shift) }
                } else {
                    guard shift < 128, shift + 7 <= 128 || bits >> UInt64(128 - shift) == 0 else {
                        throw .malformed(name, reason: "a value is longer than 128 bits")
                    }
                    high |= bits << UInt64(shift - 64)
                }
                shift += 7
                if b & 0x80 == 0 { break }
            }
            // Zigzag: value = (z >> 1) ^ -(z & 1).
            let negative = low & 1 == 1
            var l = (low >> 1) | (high << 63), h = high >> 1
            if negative {
                l = ~l
                h = ~h
            }
            out.append(ExactSum(high: Int64(bitPattern: h), low: l))
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Appends `v` zigzag-encoded (small magnitudes, either sign, take few bytes) as a
    /// base-128 varint, low bits first.
    mutating func appendVarint(_ v: ExactSum) {
        let sign: UInt64 = v.high < 0 ? ~0 : 0
        let h = UInt64(bitPattern: v.high)
        var zl = (v.low << 1) ^ sign
        var zh = ((h << 1) | (v.low >> 63)) ^ sign
        while zh != 0 || zl >= 0x80 {
            append(UInt8(zl & 0x7F) | 0x80)
            zl = (zl >> 7) | (zh << 57)
            zh >>= 7
        }
        append(UInt8(zl))
    }
}
