/// CRC-64/XZ (ECMA-182 polynomial, reflected, as used by xz): the integrity check of model files.
///
/// Why CRC-64: it detects every burst error up to 64 bits and any single flipped byte, is
/// trivial for another program to reimplement (documented in docs/model-format.md), and needs
/// no cryptography dependency. The check value of "123456789" is 0x995DC9BBDF1939FA.
///
/// Contiguous bytes are processed eight at a time ("slicing-by-8", eight 256-entry tables), a
/// few times faster than one table lookup per byte: loading 10,000 models reads 2.6 GB.
public struct CRC64: Sendable {
    static let polynomial: UInt64 = 0xC96C_5795_D787_0F42
    /// tables[0] is the byte-wise table; tables[j][b] is the CRC of byte b followed by j zero bytes.
    private static let tables: [[UInt64]] = {
        var t = [[UInt64]](repeating: [UInt64](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt64(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ polynomial : c >> 1 }
            t[0][i] = c
        }
        for j in 1..<8 { for i in 0..<256 { t[j][i] = t[0][Int(t[j - 1][i] & 0xFF)] ^ (t[j - 1][i] >> 8) } }
        return t
    }()
    private static let flat: [UInt64] = tables.flatMap { $0 }

    public private(set) var value: UInt64 = 0

    /// An empty checksum.
    public init() {}

    /// Feeds more bytes.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        value =
            bytes.withContiguousStorageIfAvailable({ p in CRC64.update(value, UnsafeRawBufferPointer(p)) })
            ?? CRC64.bytewise(bytes, from: value)
    }

    /// The byte-wise definition: for bytes not stored contiguously, and for the tests that
    /// check the eight-at-a-time path against it.
    static func bytewise<C: Collection>(_ bytes: C, from value: UInt64 = 0) -> UInt64 where C.Element == UInt8 {
        var crc = ~value
        let t = tables[0]
        for b in bytes { crc = t[Int((crc ^ UInt64(b)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    private static func update(_ value: UInt64, _ p: UnsafeRawBufferPointer) -> UInt64 {
        var crc = ~value
        let n = p.count
        var i = 0
        flat.withUnsafeBufferPointer { t in
            while i + 8 <= n {
                let w = crc ^ UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                crc =
                    t[7 * 256 + Int(w & 0xFF)] ^ t[6 * 256 + Int((w >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((w >> 16) & 0xFF)] ^ t[4 * 256 + Int((w >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((w >> 32) & 0xFF)] ^ t[2 * 256 + Int((w >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((w >> 48) & 0xFF)] ^ t[Int(w >> 56)]
                i += 8
            }
            while i < n {
                crc = t[Int((crc ^ UInt64(p[i])) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
        }
        return ~crc
    }

    /// The CRC-64/XZ of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var c = CRC64()
        c.update(bytes)
        return c.value
    }
}
