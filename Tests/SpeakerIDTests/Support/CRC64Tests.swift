import Foundation
import Testing
@testable import SpeakerID

/// The eight-bytes-at-a-time CRC-64 against the byte-wise definition, at every alignment and
/// tail length, and fed in pieces.
struct CRC64Tests {
    @Test func slicingByEightMatchesTheBytewiseDefinition() {
        var r = SeededRandom(seed: 5)
        let bytes = (0..<1000).map { _ in UInt8(truncatingIfNeeded: r.next()) }
        for start in 0..<9 {
            for end in [start, start + 1, start + 7, start + 8, start + 9, 200, 999, 1000] where end >= start {
                let slice = bytes[start..<end]
                #expect(CRC64.checksum(slice) == CRC64.bytewise(slice), "bytes \(start)..<\(end)")
            }
        }
        var pieces = CRC64()
        pieces.update(bytes[0..<3])
        pieces.update(bytes[3..<500])
        pieces.update(bytes[500...].map { $0 })
        #expect(pieces.value == CRC64.bytewise(bytes))
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0x995D_C9BB_DF19_39FA)
        #expect(CRC64.checksum(Array("123456789".utf8).lazy.map { $0 }) == 0x995D_C9BB_DF19_39FA)  // not contiguous: byte-wise path
    }
}
