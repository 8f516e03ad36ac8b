/// CRC-64/XZ (ECMA-182 polynomial, reflected, as used by xz): the integrity check of model files.
///
/// Why CRC-64: it detects every burst error up to 64 bits and any single flipped byte, is
/// trivial for another program to reimplement (documented in docs/model-format.md), and needs
/// no cryptography dependency. The check value of "123456789" is 0x995DC9BBDF1939FA.
public struct CRC64: Sendable {
    private static let table: [UInt64] = (0..<256).map { i -> UInt64 in
        var c = UInt64(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xC96C_5795_D787_0F42 : c >> 1 }
        return c
    }

    public private(set) var value: UInt64 = 0

    /// An empty checksum.
    public init() {}

    /// Feeds more bytes.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var crc = ~value
        let t = CRC64.table
        for b in bytes { crc = t[Int((crc ^ UInt64(b)) & 0xFF)] ^ (crc >> 8) }
        value = ~crc
    }

    /// The CRC-64/XZ of `bytes`.
    public static func checksum<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var c = CRC64()
        c.update(bytes)
        return c.value
    }
}
