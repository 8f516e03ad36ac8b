/// Reads little-endian words and four-byte tags from a byte array (model, statistics and
/// frame-cache files), returning nil past the end.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func u32() -> UInt32? {
        guard offset + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * i) }
        offset += 4
        return v
    }

    mutating func u64() -> UInt64? {
        guard offset + 8 <= bytes.count else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * i) }
        offset += 8
        return v
    }

    mutating func tag() -> String? {
        guard offset + 4 <= bytes.count else { return nil }
        let s = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
        offset += 4
        return s
    }
}

extension Array where Element == UInt8 {
    /// Appends `v` as four little-endian bytes.
    mutating func appendLE(_ v: UInt32) { for i in 0..<4 { append(UInt8((v >> (8 * i)) & 0xFF)) } }
    /// Appends `v` as eight little-endian bytes.
    mutating func appendLE(_ v: UInt64) { for i in 0..<8 { append(UInt8((v >> (8 * i)) & 0xFF)) } }
}
