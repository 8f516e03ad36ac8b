import Foundation
import Testing
@testable import SpeakerID

struct ModelFileTests {
    static func model(speaker: String = "alice", K: Int = 4, frontEnd: FrontEndOptions = FrontEndOptions()) throws -> SpeakerModel {
        let g = try GMMTests.randomGMM(K: K, D: frontEnd.dimension, seed: 7)
        var em = EMOptions()
        em.components = K
        return SpeakerModel(speaker: speaker, gmm: g, frontEnd: frontEnd,
                            training: TrainingInfo(frames: 1234, speechSeconds: 12.34, files: 3, iterations: 9, converged: true,
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
        c[kAt] = 0; c[kAt + 1] = 0; c[kAt + 2] = 0; c[kAt + 3] = 0x80
        #expect(throws: ModelFileError.absurdSize("k", reason: "2147483648 components")) { try ModelFile.decode(Self.resign(c), name: "k") }
        c = b
        c[kAt + 4] = 0xFF; c[kAt + 5] = 0xFF; c[kAt + 6] = 0xFF; c[kAt + 7] = 0x7F
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

struct ModelStoreTests {
    @Test(arguments: ["", "..", "../x", "/etc/passwd", "a\u{0}b", String(repeating: "x", count: 300), "Bob", "bob", "名前 😀", "with space"])
    func hostileNamesStayInsideTheModelsFolder(name: String) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        do {
            let path = try store.save(ModelFileTests.model(speaker: name))
            #expect((path as NSString).deletingLastPathComponent == dir.path)
            #expect(dir.contents.count == 1)
            #expect(try store.load(SpeakerName(name)).speaker == name.precomposedStringWithCanonicalMapping)
        } catch ModelStoreError.invalidName(let e) {
            #expect(["", "a\u{0}b", String(repeating: "x", count: 300)].contains(name), "\(name.debugDescription) refused: \(e)")
            #expect(dir.contents.isEmpty)
        }
    }

    @Test func namesDifferingOnlyByCaseGetDifferentFiles() throws {
        #expect(try SpeakerName("Bob").fileName != SpeakerName("bob").fileName)
        #expect(try SpeakerName("Bob").fileName.lowercased() != SpeakerName("bob").fileName.lowercased())
    }

    @Test func canonicallyEquivalentNamesAreOneSpeaker() throws {
        #expect(try SpeakerName("Caf\u{E9}") == SpeakerName("Cafe\u{301}"))
    }

    @Test func savingReplacesAtomicallyAndLeavesNoTemporaryFiles() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        try store.save(ModelFileTests.model(K: 2))
        try store.save(ModelFileTests.model(K: 3))
        #expect(dir.contents == ["alice.gmm"])
        #expect(try store.load(SpeakerName("alice")).gmm.components == 3)
    }

    @Test func modelsFromDifferentFrontEndsAreNotCompared() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        try store.save(ModelFileTests.model(speaker: "a"))
        var o = FrontEndOptions()
        o.filterbank.filters = 32
        try store.save(ModelFileTests.model(speaker: "b", frontEnd: o))
        #expect {
            try store.loadAll()
        } throws: { e in
            guard case .incompatible(_, let reason) = e as? ModelStoreError else { return false }
            return reason.contains("filterbank.filters")
        }
    }

    @Test func foreignFilesAreIgnoredAndCorruptModelsReported() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        try store.save(ModelFileTests.model(speaker: "a"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: dir.file("README.txt")))
        #expect(try store.loadAll().map(\.speaker) == ["a"])
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.file("zed.gmm")))
        #expect(throws: ModelStoreError.invalidFile(.tooShort(dir.file("zed.gmm"), bytes: 7))) { try store.loadAll() }
    }

    /// Models are read on every core, but the models come back in folder order and the first
    /// bad file in that order is the one named, whichever thread reached a bad file first.
    @Test func aFolderReadInParallelKeepsItsOrderAndNamesTheFirstBadFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        let names = (0..<40).map { String(format: "s%02d", $0) }
        for n in names { try store.save(ModelFileTests.model(speaker: n)) }
        #expect(try store.loadAll().map(\.speaker) == names)
        for bad in ["s37", "s11", "s20"] { try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.file(bad + ".gmm"))) }
        for _ in 0..<5 {
            #expect(throws: ModelStoreError.invalidFile(.tooShort(dir.file("s11.gmm"), bytes: 7))) { try store.loadAll() }
        }
    }

    @Test func anEmptyFolderHasNoModels() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        #expect(throws: ModelStoreError.noModels(dir.path)) { try ModelStore(directory: dir.path).loadAll() }
    }
}

struct CorpusTests {
    static func write(_ text: String, in dir: TempDir) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir.file("protocol.tsv")))
    }

    @Test func protocolRowsResolveInsideTheCorpus() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Self.write("speaker\tpath\tsplit\na\ta/1.wav\tenroll\nb\tb/2.wav\ttest\n", in: dir)
        let c = try Corpus(root: dir.path)
        #expect(c.entries.count == 2)
        #expect(try c.entries(split: "test").map(\.speaker) == ["b"])
        #expect(c.entries[0].path.hasSuffix("/a/1.wav"))
    }

    @Test func badProtocolsSayWhereAndWhy() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Self.write("speaker\tfile\tsplit\na\ta.wav\tenroll\n", in: dir)
        #expect(throws: CorpusError.self) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\ta.wav\n", in: dir)
        #expect(throws: CorpusError.self) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\t../../etc/passwd\tenroll\n", in: dir)
        #expect(throws: CorpusError.escapingPath(dir.file("protocol.tsv"), line: 2, path: "../../etc/passwd")) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\t/etc/passwd\tenroll\n", in: dir)
        #expect(throws: CorpusError.self) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\ta.wav\tenroll\na\t./a.wav\tenroll\n", in: dir)
        #expect(throws: CorpusError.duplicateRow(dir.file("protocol.tsv"), line: 3, path: "./a.wav")) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\ta.wav\tenroll\n", in: dir)
        #expect(throws: CorpusError.unknownSplit(dir.path, split: "tset", available: ["enroll"])) { try Corpus(root: dir.path).entries(split: "tset") }
    }

    @Test func aFolderPerSpeakerIsACorpus() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        for s in ["x", "y"] {
            try FileManager.default.createDirectory(atPath: dir.file(s), withIntermediateDirectories: true)
            try AudioWriter.write(sine(200, seconds: 0.1, rate: 8000), sampleRate: 8000, to: dir.file("\(s)/1.wav"))
            try Data("not audio".utf8).write(to: URL(fileURLWithPath: dir.file("\(s)/notes.txt")))
        }
        let c = try Corpus(root: dir.path)
        #expect(c.entries.map(\.speaker) == ["x", "y"])
        #expect(Corpus.speakers(c.entries) == ["x", "y"])
    }
}

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
        pieces.update(bytes[0..<3]); pieces.update(bytes[3..<500]); pieces.update(bytes[500...].map { $0 })
        #expect(pieces.value == CRC64.bytewise(bytes))
        #expect(CRC64.checksum(Array("123456789".utf8)) == 0x995D_C9BB_DF19_39FA)
        #expect(CRC64.checksum(Array("123456789".utf8).lazy.map { $0 }) == 0x995D_C9BB_DF19_39FA)  // not contiguous: byte-wise path
    }
}
