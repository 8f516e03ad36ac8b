import Foundation
import Testing
@testable import SpeakerID

struct ModelFileTests {
    static func model(speaker: String = "alice", K: Int = 4, frontEnd: FrontEndOptions = FrontEndOptions()) throws -> SpeakerModel {
        let g = try GMMTests.randomGMM(K: K, D: frontEnd.dimension, seed: 7)
        var em = EMOptions()
        em.components = K
        return SpeakerModel(
            speaker: speaker, gmm: g, frontEnd: frontEnd,
            training: TrainingInfo(
                frames: 1234, speechSeconds: 12.34, files: 3, iterations: 9, converged: true,
                finalLogLikelihood: -61.5, seed: 99, em: em))
    }

    /// Re-signs edited bytes with a valid checksum, to reach the checks behind the checksum.
    static func resign(_ b: [UInt8]) -> [UInt8] { sign(Array(b[0..<(b.count - 20)])) }

    /// Appends a valid checksum trailer.
    static func sign(_ body: [UInt8]) -> [UInt8] {
        var out = body
        let crc = CRC64.checksum(out)
        var tail: [UInt8] = []
        tail.appendLE(crc)
        out.appendSection("END\0", tail)
        return out
    }

    @Test func crc64HasTheStandardCheckValue() {
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0x995D_C9BB_DF19_39FA)
    }

    @Test func roundTripKeepsEverything() throws {
        let m = try Self.model()
        let back = try ModelFile.decode(ModelFile.encode(m), name: "m")
        #expect(back.speaker == m.speaker && back.gmm == m.gmm && back.frontEnd == m.frontEnd && back.training == m.training)
    }

    @Test func layoutStartsWithMagicVersionAndByteOrder() throws {
        let b = try ModelFile.encode(Self.model())
        #expect(Array(b[0..<8]) == Array("SPKRGMM\0".utf8))
        #expect(Array(b[8..<16]) == [1, 0, 0, 0, 4, 3, 2, 1])
    }

    @Test func everyTruncationIsRefused() throws {
        let b = try ModelFile.encode(Self.model(K: 2))
        for n in 0..<b.count {
            #expect(throws: ModelFileError.self, "truncated to \(n) bytes") { try ModelFile.decode(Array(b[0..<n]), name: "t") }
        }
    }

    @Test func everySingleFlippedByteIsRefused() throws {
        let b = try ModelFile.encode(Self.model(K: 2))
        for i in stride(from: 0, to: b.count, by: 1) {
            var c = b
            c[i] ^= 0x5A
            #expect(throws: ModelFileError.self, "byte \(i) flipped") { try ModelFile.decode(c, name: "f") }
        }
    }

    @Test func wrongMagicAndFutureVersionsSayWhat() throws {
        var b = try ModelFile.encode(Self.model())
        var c = b
        c[0] = UInt8(ascii: "X")
        #expect(throws: ModelFileError.wrongMagic("x")) { try ModelFile.decode(c, name: "x") }
        b[8] = 2
        #expect(throws: ModelFileError.newerVersion("v", version: 2)) { try ModelFile.decode(Self.resign(b), name: "v") }
    }

    @Test func absurdSizesAreRefusedBeforeAllocating() throws {
        let b = try ModelFile.encode(Self.model())
        // Find the GMM section and set K to 2^31.
        let gmmTag = Array("GMM\0".utf8)
        let at = try #require((16..<(b.count - 4)).first { Array(b[$0..<($0 + 4)]) == gmmTag })
        var c = b
        let kAt = at + 12
        c[kAt] = 0
        c[kAt + 1] = 0
        c[kAt + 2] = 0
        c[kAt + 3] = 0x80
        #expect(throws: ModelFileError.absurdSize("k", reason: "2147483648 components")) { try ModelFile.decode(Self.resign(c), name: "k") }
        c = b
        c[kAt + 4] = 0xFF
        c[kAt + 5] = 0xFF
        c[kAt + 6] = 0xFF
        c[kAt + 7] = 0x7F
        #expect(throws: ModelFileError.self) { try ModelFile.decode(Self.resign(c), name: "d") }
    }

    @Test func nanWeightsAreRefused() throws {
        let b = try ModelFile.encode(Self.model())
        let gmmTag = Array("GMM\0".utf8)
        let at = try #require((16..<(b.count - 4)).first { Array(b[$0..<($0 + 4)]) == gmmTag })
        var c = b
        let w0 = at + 12 + 8
        let nan = Float.nan.bitPattern
        for i in 0..<4 { c[w0 + i] = UInt8((nan >> (8 * UInt32(i))) & 0xFF) }
        #expect {
            try ModelFile.decode(Self.resign(c), name: "n")
        } throws: { e in
            if case .invalidModel = e as? ModelFileError { return true }
            return false
        }
    }

    @Test func unknownSectionsAreSkipped() throws {
        var b = try ModelFile.encode(Self.model())
        b.removeLast(20)
        b.appendSection("XTRA", [1, 2, 3])
        let back = try ModelFile.decode(Self.sign(b), name: "x")
        #expect(back.speaker == "alice")
    }
}
