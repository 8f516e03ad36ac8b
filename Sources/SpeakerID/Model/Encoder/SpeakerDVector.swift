import Foundation

/// A speaker's d-vector as enrolment keeps it: the sum of the unit embeddings of the speaker's
/// enrolment files (in Double), their count and speech, and the encoder that made them. The
/// d-vector is the normalised sum (resemblyzer's `embed_speaker`: the normalised mean); adding
/// files adds to the sum, so enrolling in steps gives exactly what enrolling at once gives.
public struct SpeakerDVector: Sendable, Equatable {
    public let encoder: EncoderIdentity
    public private(set) var sum: [Double]
    public private(set) var files: Int
    public private(set) var speechSeconds: Double

    /// The d-vector of `embeddings` (at least one, all of one encoder).
    public init(embeddings: [SpeakerEmbedding]) throws(EncoderError) {
        guard let first = embeddings.first else { throw .corrupt("d-vector", reason: "no embedding to enrol") }
        encoder = first.encoder
        sum = [Double](repeating: 0, count: first.vector.count)
        files = 0
        speechSeconds = 0
        try add(embeddings)
    }

    init(encoder: EncoderIdentity, sum: [Double], files: Int, speechSeconds: Double) {
        self.encoder = encoder
        self.sum = sum
        self.files = files
        self.speechSeconds = speechSeconds
    }

    /// Adds files' embeddings; refuses embeddings of another encoder (or of another dimension),
    /// before adding any: a refused batch leaves the d-vector as it was.
    public mutating func add(_ embeddings: [SpeakerEmbedding]) throws(EncoderError) {
        func describe(_ identity: EncoderIdentity) -> String { "\(identity.name) (\(identity.checksum))" }
        for e in embeddings where e.encoder != encoder {
            throw .otherEncoder(expected: describe(encoder), got: describe(e.encoder))
        }
        for e in embeddings where e.vector.count != sum.count {
            throw .otherEncoder(
                expected: "\(describe(encoder)), \(sum.count) dimensions", got: "\(describe(e.encoder)), \(e.vector.count) dimensions")
        }
        for e in embeddings {
            for i in sum.indices { sum[i] += Double(e.vector[i]) }
            files += 1
            speechSeconds += e.speechSeconds
        }
    }

    /// The unit d-vector.
    public var vector: [Float] {
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { Float(norm > 0 ? $0 / norm : 0) }
    }

    /// The cosine between this d-vector and an embedding of the same encoder.
    public func cosine(_ e: SpeakerEmbedding) -> Double {
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return 0 }
        var s = 0.0
        for i in 0..<min(sum.count, e.vector.count) { s += sum[i] * Double(e.vector[i]) }
        return s / norm
    }

    // MARK: - The model file's "DVEC" section

    struct Header: Codable {
        var encoderName: String
        var encoderChecksum: String
        var files: Int
        var speechSeconds: Double
        var dimension: Int
    }

    /// JSON header length (u32), the header, then `dimension` little-endian binary64 sums.
    func encoded() -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let header =
            (try? enc.encode(
                Header(
                    encoderName: encoder.name, encoderChecksum: encoder.checksum, files: files,
                    speechSeconds: speechSeconds, dimension: sum.count))) ?? Data()
        var out: [UInt8] = []
        out.appendLE(UInt32(header.count))
        out += [UInt8](header)
        for v in sum { out.appendLE(v.bitPattern) }
        return out
    }

    static func decode(_ p: [UInt8], name: String) throws(ModelFileError) -> SpeakerDVector {
        var r = ByteReader(bytes: p, offset: 0)
        guard let n = r.u32(), Int(n) <= p.count - 4 else { throw .malformed(name, reason: "d-vector section cut short") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(p[4..<(4 + Int(n))])) } catch {
            throw .malformed(name, reason: "d-vector header is not valid")
        }
        r.offset = 4 + Int(n)
        guard (1...4096).contains(header.dimension), header.files >= 1, header.speechSeconds.isFinite, header.speechSeconds >= 0,
            p.count - r.offset == 8 * header.dimension
        else { throw .malformed(name, reason: "d-vector section does not fit its header") }
        var sum: [Double] = []
        for _ in 0..<header.dimension {
            guard let bits = r.u64() else { throw .malformed(name, reason: "d-vector section cut short") }
            sum.append(Double(bitPattern: bits))
        }
        guard sum.allSatisfy({ $0.isFinite }) else { throw .invalidModel(name, reason: "d-vector is not finite") }
        return SpeakerDVector(
            encoder: EncoderIdentity(name: header.encoderName, checksum: header.encoderChecksum), sum: sum,
            files: header.files, speechSeconds: header.speechSeconds)
    }
}
