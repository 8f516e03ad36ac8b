/// A fast 64-bit checksum of large buffers (four independent lanes of xxHash64's round, then
/// its avalanche): several GB/s, so that checking a frame cache costs a few percent of one EM
/// pass over it, where the byte-wise CRC-64 of model files would cost a quarter. It detects
/// truncation and flipped bits with overwhelming probability; it is not cryptographic.
public enum FastChecksum {
    static let p1: UInt64 = 0x9E37_79B1_85EB_CA87, p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F, p3: UInt64 = 0x1656_67B1_9E37_79F9

    @inline(__always) static func round(_ acc: UInt64, _ w: UInt64) -> UInt64 {
        let a = acc &+ w &* p2
        return ((a << 31) | (a >> 33)) &* p1
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var a0 = p1 &+ p2, a1 = p2, a2: UInt64 = 0, a3 = 0 &- p1
        let rounds = bytes.count / 32
        for r in 0..<rounds {
            let o = 32 * r
            a0 = round(a0, bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self))
            a1 = round(a1, bytes.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self))
            a2 = round(a2, bytes.loadUnaligned(fromByteOffset: o + 16, as: UInt64.self))
            a3 = round(a3, bytes.loadUnaligned(fromByteOffset: o + 24, as: UInt64.self))
        }
        var h = ((a0 << 1) | (a0 >> 63)) &+ ((a1 << 7) | (a1 >> 57)) &+ ((a2 << 12) | (a2 >> 52)) &+ ((a3 << 18) | (a3 >> 46))
        h = h &+ UInt64(bytes.count)
        var i = 32 * rounds
        while i + 8 <= bytes.count {
            h = round(h, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        while i < bytes.count {
            h = round(h, UInt64(bytes[i]))
            i += 1
        }
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        return h ^ (h >> 32)
    }
}
