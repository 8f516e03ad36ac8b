import Foundation

/// SpeakerID's speaker-encoder file, version 1 (docs/formats.md):
///
///     magic "SPKRENC\0" | u32 version | u32 byte-order mark 0x01020304 |
///     "META" section: JSON (name, source, licence, shapes) |
///     one "TNSR" section per tensor: u32 name length, name (UTF-8), u32 rank, u32 sizes,
///     little-endian binary32 values |
///     "END\0", u64 8, u64 CRC-64/XZ of every byte before the END tag.
///
/// The CRC is the encoder's identity: embeddings carry it, and a models folder refuses to mix
/// embeddings of two encoders.
public enum EncoderFile {
    public static let magic: [UInt8] = Array("SPKRENC".utf8) + [0]
    public static let version: UInt32 = 1
    static let byteOrderMark: UInt32 = 0x0102_0304

    /// Where the weights came from, and under which licence.
    public struct Metadata: Codable, Equatable, Sendable {
        public var name: String
        public var sourcePackage: String
        public var sourceVersion: String
        public var sourceFile: String
        /// CRC-64/XZ of the source file, hex.
        public var sourceChecksum: String
        public var licence: String
        public var sampleRate: Int
        public var bands: Int
        public var hidden: Int
        public var layers: Int
        public var embeddingSize: Int

        /// Metadata of an encoder converted from `sourceFile` of `sourcePackage` (its CRC-64/XZ
        /// `sourceChecksum`): an LSTM of `layers` layers of `hidden` units over `bands` mel
        /// bands at `sampleRate` Hz, giving embeddings of `embeddingSize`.
        public init(
            name: String, sourcePackage: String, sourceVersion: String, sourceFile: String, sourceChecksum: String, licence: String,
            sampleRate: Int, bands: Int, hidden: Int, layers: Int, embeddingSize: Int
        ) {
            self.name = name
            self.sourcePackage = sourcePackage
            self.sourceVersion = sourceVersion
            self.sourceFile = sourceFile
            self.sourceChecksum = sourceChecksum
            self.licence = licence
            self.sampleRate = sampleRate
            self.bands = bands
            self.hidden = hidden
            self.layers = layers
            self.embeddingSize = embeddingSize
        }

        enum CodingKeys: String, CodingKey {
            case name, licence, bands, hidden, layers
            case sourcePackage = "source_package", sourceVersion = "source_version", sourceFile = "source_file"
            case sourceChecksum = "source_checksum", sampleRate = "sample_rate", embeddingSize = "embedding_size"
        }
    }

    /// resemblyzer 0.1.4's pretrained.pt as an encoder: the tensors checked against the network's
    /// shapes; `sourceName` names the file in messages and in the metadata.
    public static func fromResemblyzerCheckpoint(_ bytes: [UInt8], sourceName: String) throws(EncoderError) -> [UInt8] {
        let checkpoint = try TorchLegacyCheckpoint(bytes: bytes, stateKey: "model_state", name: sourceName)
        var tensors: [(String, TorchLegacyCheckpoint.Tensor)] = []
        for key in resemblyzerTensorNames {
            guard let t = checkpoint.tensors[key] else { throw .unexpectedNetwork(sourceName, reason: "no tensor \(key)") }
            tensors.append((key, t))
        }
        let meta = Metadata(
            name: "resemblyzer-0.1.4", sourcePackage: "resemblyzer", sourceVersion: "0.1.4",
            sourceFile: "pretrained.pt", sourceChecksum: hex(CRC64.checksum(bytes)),
            licence: "Apache-2.0 (resemblyzer, Corentin Jemine; LICENSE beside this file)",
            sampleRate: 16000, bands: 40, hidden: 256, layers: 3, embeddingSize: 256)
        let file = encode(meta, tensors.map { ($0.0, $0.1.shape, $0.1.values) })
        _ = try decode(file, name: sourceName)  // every shape checked as a reader will
        return file
    }

    static let resemblyzerTensorNames: [String] =
        (0..<3).flatMap { l in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map { "lstm.\($0)_l\(l)" } }
        + ["linear.weight", "linear.bias"]

    /// An encoder file of `meta` and its tensors (name, shape, values in row-major order), as
    /// `SpeakerEncoder.load` reads it.
    public static func encode(_ meta: Metadata, _ tensors: [(String, [Int], [Float])]) -> [UInt8] {
        var out = magic
        out.appendLE(version)
        out.appendLE(byteOrderMark)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        out.appendSection("META", [UInt8]((try? encoder.encode(meta)) ?? Data()))
        for (name, shape, values) in tensors {
            var body: [UInt8] = []
            body.reserveCapacity(12 + name.utf8.count + 4 * (shape.count + values.count))
            body.appendLE(UInt32(name.utf8.count))
            body += Array(name.utf8)
            body.appendLE(UInt32(shape.count))
            for s in shape { body.appendLE(UInt32(s)) }
            for v in values { body.appendLE(v.bitPattern) }
            out.appendSection("TNSR", body)
        }
        var tail: [UInt8] = []
        tail.appendLE(CRC64.checksum(out))
        out.appendSection("END\0", tail)
        return out
    }

    /// The encoder in a file's bytes, every section, shape and value checked.
    public static func decode(_ bytes: [UInt8], name: String) throws(EncoderError) -> SpeakerEncoder {
        guard bytes.count >= 16 + 20, Array(bytes[0..<8]) == magic else {
            throw .notAnEncoder(name, reason: "wrong magic number; `speakerid encoder fetch` makes one")
        }
        var r = ByteReader(bytes: bytes, offset: 8)
        guard let v = r.u32(), v >= 1 else { throw .corrupt(name, reason: "format version 0") }
        guard v <= version else { throw .notAnEncoder(name, reason: "format version \(v) is newer than this SpeakerID reads (\(version))") }
        guard r.u32() == byteOrderMark else { throw .corrupt(name, reason: "bad byte-order mark") }
        let endAt = bytes.count - 20
        var t = ByteReader(bytes: bytes, offset: endAt)
        guard t.tag() == "END\0", t.u64() == 8, let stored = t.u64(), CRC64.checksum(bytes[0..<endAt]) == stored else {
            throw .corrupt(name, reason: "checksum mismatch: the file was damaged or truncated")
        }
        var meta: Metadata?
        var tensors: [String: ([Int], [Float])] = [:]
        while r.offset < endAt {
            guard let tag = r.tag(), let len64 = r.u64(), r.offset <= endAt, len64 <= UInt64(endAt - r.offset) else {
                throw .corrupt(name, reason: "a section runs past the end")
            }
            let payload = Array(bytes[r.offset..<(r.offset + Int(len64))])
            r.offset += Int(len64)
            switch tag {
            case "META":
                do { meta = try JSONDecoder().decode(Metadata.self, from: Data(payload)) } catch {
                    throw .corrupt(name, reason: "metadata is not valid")
                }
            case "TNSR":
                let (key, shape, values) = try decodeTensor(payload, name: name)
                tensors[key] = (shape, values)
            default:
                continue
            }
        }
        guard let meta else { throw .corrupt(name, reason: "no META section") }
        return try build(meta, tensors, checksum: stored, name: name)
    }

    static func decodeTensor(_ p: [UInt8], name: String) throws(EncoderError) -> (String, [Int], [Float]) {
        var r = ByteReader(bytes: p, offset: 0)
        guard let n = r.u32(), Int(n) <= 256, r.offset + Int(n) <= p.count else { throw .corrupt(name, reason: "a tensor's name is cut short") }
        let key = String(decoding: p[r.offset..<(r.offset + Int(n))], as: UTF8.self)
        r.offset += Int(n)
        guard let rank = r.u32(), rank <= 4 else { throw .corrupt(name, reason: "tensor \(key) has an invalid rank") }
        var shape: [Int] = []
        for _ in 0..<rank {
            guard let s = r.u32(), s <= 1 << 20 else { throw .corrupt(name, reason: "tensor \(key) has an invalid size") }
            shape.append(Int(s))
        }
        // The sizes come from the file: their product is checked for overflow, and against the
        // values the section holds, before anything is allocated.
        let available = (p.count - r.offset) / 4
        var count = shape.contains(0) ? 0 : 1
        for s in shape where count != 0 {  // a size 0 makes an empty tensor, whatever the others
            let (product, overflow) = count.multipliedReportingOverflow(by: s)
            guard !overflow, product <= available else { throw .corrupt(name, reason: "tensor \(key) holds the wrong number of values") }
            count = product
        }
        guard p.count - r.offset == 4 * count else { throw .corrupt(name, reason: "tensor \(key) holds the wrong number of values") }
        let start = r.offset
        let values: [Float] = p.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self))) }
        }
        guard values.allSatisfy({ $0.isFinite }) else { throw .corrupt(name, reason: "tensor \(key) holds a value that is not finite") }
        return (key, shape, values)
    }

    static func build(
        _ meta: Metadata, _ tensors: [String: ([Int], [Float])], checksum: UInt64,
        name: String
    ) throws(EncoderError) -> SpeakerEncoder {
        let H = meta.hidden, E = meta.embeddingSize
        guard (1...4096).contains(H), (1...4096).contains(E), (1...8).contains(meta.layers), meta.bands == SpeakerEncoder.bands,
            meta.sampleRate == SpeakerEncoder.sampleRate
        else {
            throw .unexpectedNetwork(name, reason: "the metadata describes a network this SpeakerID does not run")
        }
        func tensor(_ key: String, _ shape: [Int]) throws(EncoderError) -> [Float] {
            guard let (s, v) = tensors[key] else { throw .unexpectedNetwork(name, reason: "no tensor \(key)") }
            guard s == shape else {
                throw .unexpectedNetwork(
                    name,
                    reason: "tensor \(key) is \(s.map(String.init).joined(separator: "x")), expected \(shape.map(String.init).joined(separator: "x"))"
                )
            }
            return v
        }
        var layers: [SpeakerEncoder.Layer] = []
        for l in 0..<meta.layers {
            let input = l == 0 ? meta.bands : H
            let bih = try tensor("lstm.bias_ih_l\(l)", [4 * H]), bhh = try tensor("lstm.bias_hh_l\(l)", [4 * H])
            layers.append(
                SpeakerEncoder.Layer(
                    inputSize: input,
                    inputWeights: transposed(try tensor("lstm.weight_ih_l\(l)", [4 * H, input]), rows: 4 * H),
                    recurrentWeights: transposed(try tensor("lstm.weight_hh_l\(l)", [4 * H, H]), rows: 4 * H),
                    bias: zip(bih, bhh).map { $0 + $1 }))
        }
        return SpeakerEncoder(
            layers: layers, hidden: H, projection: try tensor("linear.weight", [E, H]),
            projectionBias: try tensor("linear.bias", [E]),
            identity: EncoderIdentity(name: meta.name, checksum: hex(checksum)))
    }

    /// A rows x (count/rows) row-major matrix transposed.
    static func transposed(_ m: [Float], rows: Int) -> [Float] {
        let cols = m.count / rows
        var out = [Float](repeating: 0, count: m.count)
        for r in 0..<rows { for c in 0..<cols { out[c * rows + r] = m[r * cols + c] } }
        return out
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

extension EncoderFile {
    /// The file name `speakerid encoder fetch` writes.
    public static let defaultFileName = "resemblyzer-0.1.4.encoder"

    /// Where commands look for the encoder when none is named: `$SPEAKERID_ENCODER` if set,
    /// else `$XDG_DATA_HOME/speakerid/` (by default `~/.local/share/speakerid/`) + the default
    /// file name. Nil when neither HOME nor XDG_DATA_HOME is set.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["SPEAKERID_ENCODER"], !explicit.isEmpty { return explicit }
        let base: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else if let home = environment["HOME"], !home.isEmpty {
            base = PathName.join(home, ".local/share")
        } else {
            return nil
        }
        return PathName.join(PathName.join(base, "speakerid"), defaultFileName)
    }

    /// Reads the metadata of an encoder file (checked whole, as `decode` does).
    public static func metadata(ofFileAt path: String) throws(EncoderError) -> Metadata {
        guard let data = FileManager.default.contents(atPath: path) else { throw .notAnEncoder(path, reason: "cannot be read") }
        let bytes = [UInt8](data)
        _ = try decode(bytes, name: path)
        var r = ByteReader(bytes: bytes, offset: 16)
        while let tag = r.tag(), let len = r.u64(), len <= UInt64(bytes.count - r.offset) {
            if tag == "META", let m = try? JSONDecoder().decode(Metadata.self, from: Data(bytes[r.offset..<(r.offset + Int(len))])) {
                return m
            }
            r.offset += Int(len)
        }
        throw .corrupt(path, reason: "no META section")
    }
}
