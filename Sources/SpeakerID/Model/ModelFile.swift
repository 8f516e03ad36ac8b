import Foundation

/// Why a model file could not be read.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(String, bytes: Int)
    case wrongMagic(String)
    case newerVersion(String, version: UInt32)
    case wrongByteOrder(String)
    case checksumMismatch(String)
    case malformed(String, reason: String)
    case absurdSize(String, reason: String)
    case invalidModel(String, reason: String)

    public var description: String {
        switch self {
        case .tooShort(let p, let n): return "\(p): not a SpeakerID model (only \(n) bytes)"
        case .wrongMagic(let p): return "\(p): not a SpeakerID model (wrong magic number)"
        case .newerVersion(let p, let v):
            return "\(p): model format version \(v) is newer than this SpeakerID reads (\(ModelFile.version)); upgrade SpeakerID"
        case .wrongByteOrder(let p): return "\(p): corrupt model (bad byte-order mark)"
        case .checksumMismatch(let p): return "\(p): corrupt model (checksum mismatch: the file was damaged or truncated)"
        case .malformed(let p, let r): return "\(p): corrupt model (\(r))"
        case .absurdSize(let p, let r): return "\(p): corrupt model (\(r))"
        case .invalidModel(let p, let r): return "\(p): invalid model (\(r))"
        }
    }
}

/// The binary model format, version 1 (specified in docs/model-format.md).
///
///     magic "SPKRGMM\0" | u32 version | u32 byte-order mark 0x01020304 |
///     sections: 4-byte tag, u64 length, payload ("META": JSON; "GMM\0": K, D, weights,
///     means, variances as little-endian binary32) | "END\0", u64 8, u64 CRC-64/XZ of every
///     byte before the END tag.
///
/// All integers and floats are little-endian.
public enum ModelFile {
    public static let magic: [UInt8] = Array("SPKRGMM".utf8) + [0]
    public static let version: UInt32 = 1
    static let byteOrderMark: UInt32 = 0x0102_0304
    /// Largest K and D a reader accepts: far beyond any real model, small enough that a
    /// corrupt header cannot make the reader allocate gigabytes.
    public static let maximumComponents = 1 << 16
    public static let maximumDimension = 4096

    struct Metadata: Codable {
        var speaker: String
        var frontEnd: FrontEndOptions
        var training: TrainingInfo
        /// "speaker" or "ubm"; absent in files of SpeakerID 0.1 (then "speaker").
        var kind: ModelKind?
        /// For a MAP-adapted speaker: the checksum of the UBM it was adapted from.
        var ubm: UBMReference?
        /// For a UBM still being trained in steps (init-ubm, update): where EM stands. Absent
        /// in finished models (and in every file of SpeakerID 0.1).
        var emProgress: EMProgress?
    }

    /// The bytes of a version-1 model file for `model`.
    public static func encode(_ model: SpeakerModel) throws -> [UInt8] {
        var out = magic
        out.appendLE(version)
        out.appendLE(byteOrderMark)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let meta = try enc.encode(
            Metadata(
                speaker: model.speaker, frontEnd: model.frontEnd, training: model.training,
                kind: model.kind, ubm: model.ubm, emProgress: model.emProgress))
        out.appendSection("META", [UInt8](meta))
        let g = model.gmm
        var body: [UInt8] = []
        body.reserveCapacity(8 + 4 * (g.components * (1 + 2 * g.dimension)))
        body.appendLE(UInt32(g.components))
        body.appendLE(UInt32(g.dimension))
        for v in g.weights { body.appendLE(v.bitPattern) }
        for v in g.means { body.appendLE(v.bitPattern) }
        for v in g.variances { body.appendLE(v.bitPattern) }
        out.appendSection("GMM\0", body)
        if let e = model.enrolment { out.appendSection("STAT", e.encoded()) }
        if let d = model.dvector { out.appendSection("DVEC", d.encoded()) }
        let crc = CRC64.checksum(out)
        var tail: [UInt8] = []
        tail.appendLE(crc)
        out.appendSection("END\0", tail)
        return out
    }

    /// Reads a model file's bytes, verifying magic, version, byte order, checksum, sizes and parameters; `name` is used in messages.
    /// `enrolmentStatistics` false skips the STAT section (still covered by the checksum).
    public static func decode(_ bytes: [UInt8], name: String, enrolmentStatistics: Bool = true) throws(ModelFileError) -> SpeakerModel {
        guard bytes.count >= 16 + 20 else {
            if bytes.count >= 8 && Array(bytes[0..<8]) != magic { throw .wrongMagic(name) }
            throw .tooShort(name, bytes: bytes.count)
        }
        guard Array(bytes[0..<8]) == magic else { throw .wrongMagic(name) }
        var r = ByteReader(bytes: bytes, offset: 8)
        let ver = r.u32()!
        if ver > version { throw .newerVersion(name, version: ver) }
        if ver == 0 { throw .malformed(name, reason: "format version 0") }
        guard r.u32() == byteOrderMark else { throw .wrongByteOrder(name) }
        // The checksum trailer is the last 20 bytes.
        let endAt = bytes.count - 20
        var t = ByteReader(bytes: bytes, offset: endAt)
        guard t.tag() == "END\0", t.u64() == 8, let stored = t.u64() else {
            throw .checksumMismatch(name)
        }
        guard CRC64.checksum(bytes[0..<endAt]) == stored else { throw .checksumMismatch(name) }

        var meta: Metadata?
        var gmm: DiagGMM?
        var stat: [UInt8]?
        var dvector: SpeakerDVector?
        while r.offset < endAt {
            // The header itself must end before the checksum trailer, or the length check
            // below would subtract past it.
            guard let tag = r.tag(), let len64 = r.u64(), r.offset <= endAt else { throw .malformed(name, reason: "section header cut short") }
            guard len64 <= UInt64(endAt - r.offset) else { throw .malformed(name, reason: "section \(printable(tag)) runs past the end") }
            let len = Int(len64)
            // A view of the section; copied only for the sections decoded (not a skipped STAT).
            let payload = bytes[r.offset..<(r.offset + len)]
            r.offset += len
            switch tag {
            case "META":
                do { meta = try JSONDecoder().decode(Metadata.self, from: Data(payload)) } catch {
                    throw .malformed(name, reason: "metadata is not valid: \(error)")
                }
            case "GMM\0":
                gmm = try decodeGMM(Array(payload), name: name)
            case "STAT":
                if enrolmentStatistics { stat = Array(payload) }
            case "DVEC":
                dvector = try SpeakerDVector.decode(Array(payload), name: name)
            default:
                continue  // unknown sections are skipped: later minor additions stay readable
            }
        }
        guard let meta else { throw .malformed(name, reason: "no META section") }
        guard let gmm else { throw .malformed(name, reason: "no GMM section") }
        guard gmm.dimension == meta.frontEnd.dimension else {
            throw .invalidModel(name, reason: "GMM dimension \(gmm.dimension) does not match its front end (\(meta.frontEnd.dimension))")
        }
        do { try meta.frontEnd.validate() } catch { throw .invalidModel(name, reason: error.description) }
        if let ref = meta.ubm, ref.components != gmm.components {
            throw .invalidModel(name, reason: "adapted from a \(ref.components)-component UBM but holds \(gmm.components) components")
        }
        var model = SpeakerModel(speaker: meta.speaker, gmm: gmm, frontEnd: meta.frontEnd, training: meta.training)
        model.kind = meta.kind ?? .speaker
        model.ubm = meta.ubm
        if let stat { model.enrolment = try EnrollmentStatistics.decode(stat, components: gmm.components, dimension: gmm.dimension, name: name) }
        model.emProgress = meta.emProgress
        model.dvector = dvector
        model.fileChecksum = stored  // verified above
        return model
    }

    static func decodeGMM(_ p: [UInt8], name: String) throws(ModelFileError) -> DiagGMM {
        var r = ByteReader(bytes: p, offset: 0)
        guard let k32 = r.u32(), let d32 = r.u32() else { throw .malformed(name, reason: "GMM header cut short") }
        guard k32 >= 1, k32 <= UInt32(maximumComponents) else { throw .absurdSize(name, reason: "\(k32) components") }
        guard d32 >= 1, d32 <= UInt32(maximumDimension) else { throw .absurdSize(name, reason: "dimension \(d32)") }
        let K = Int(k32), D = Int(d32)
        guard p.count == 8 + 4 * (K + 2 * K * D) else {
            throw .malformed(name, reason: "GMM section holds \(p.count) bytes, expected \(8 + 4 * (K + 2 * K * D)) for K=\(K), D=\(D)")
        }
        // Little-endian floats, read as words (the size was checked above).
        func floats(_ at: Int, _ n: Int) -> [Float] {
            p.withUnsafeBytes { raw in
                (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at + 4 * $0, as: UInt32.self))) }
            }
        }
        let w = floats(8, K), mu = floats(8 + 4 * K, K * D), va = floats(8 + 4 * (K + K * D), K * D)
        do { return try DiagGMM(weights: w, means: mu, variances: va, dimension: D) } catch { throw .invalidModel(name, reason: error.description) }
    }

    static func printable(_ tag: String) -> String {
        "'" + tag.map { $0.isASCII && !$0.isWhitespace && $0 != "\0" ? String($0) : "?" }.joined() + "'"
    }
}

extension Array where Element == UInt8 {
    mutating func appendSection(_ tag: String, _ payload: [UInt8]) {
        let t = Array(tag.utf8)
        precondition(t.count == 4)
        append(contentsOf: t)
        appendLE(UInt64(payload.count))
        append(contentsOf: payload)
    }
}
