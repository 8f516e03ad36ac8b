import Foundation
import Testing
@testable import SpeakerID

/// A speaker's d-vector: the sum of the unit embeddings of their files (exact under adding),
/// kept in the model file's DVEC section, and never mixed with another encoder's.
struct DVectorTests {
    static let a = EncoderIdentity(name: "test-encoder", checksum: "00000000000000aa")
    static let b = EncoderIdentity(name: "test-encoder", checksum: "00000000000000bb")

    static func embedding(_ seed: UInt64, _ identity: EncoderIdentity = a, dimension: Int = 16) -> SpeakerEmbedding {
        var r = SeededRandom(seed: seed)
        let v = (0..<dimension).map { _ in Float(r.nextUnit()) }
        let n = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        return SpeakerEmbedding(vector: v.map { Float(Double($0) / n) }, speechSeconds: 1 + Double(seed % 5), windows: 2, encoder: identity)
    }

    @Test func addingInStepsIsAddingAtOnce() throws {
        let e = (1...5).map { Self.embedding($0) }
        let once = try SpeakerDVector(embeddings: e)
        var steps = try SpeakerDVector(embeddings: [e[0]])
        try steps.add([e[1], e[2]])
        try steps.add([e[3]])
        try steps.add([e[4]])
        #expect(once == steps)
        #expect(once.sum.map(\.bitPattern) == steps.sum.map(\.bitPattern))
        #expect(once.files == 5 && abs(once.speechSeconds - e.reduce(0) { $0 + $1.speechSeconds }) < 1e-12)
        // The sum of the vectors, in Double; the d-vector its direction.
        for i in 0..<16 {
            #expect(once.sum[i] == e.reduce(0.0) { $0 + Double($1.vector[i]) })
        }
        let v = once.vector
        #expect(abs(v.reduce(0) { $0 + Double($1) * Double($1) } - 1) < 1e-6)
        #expect(abs(once.cosine(e[0]) - zip(v, e[0].vector).reduce(0) { $0 + Double($1.0) * Double($1.1) }) < 1e-6)
        #expect(throws: EncoderError.self) { try SpeakerDVector(embeddings: []) }
    }

    @Test func anotherEncodersEmbeddingsAreRefused() throws {
        var d = try SpeakerDVector(embeddings: [Self.embedding(1)])
        let before = d
        #expect(throws: EncoderError.self) { try d.add([Self.embedding(2, Self.b)]) }
        #expect(throws: EncoderError.self) { try d.add([Self.embedding(3, Self.a, dimension: 8)]) }
        #expect(d == before)
        #expect(throws: EncoderError.self) { try SpeakerDVector(embeddings: [Self.embedding(1), Self.embedding(2, Self.b)]) }
        do {
            try d.add([Self.embedding(2, Self.b)])
        } catch {
            #expect(error.description.contains("00000000000000bb") && error.description.contains("00000000000000aa"), "\(error.description)")
            // The encoder's name is not taken for a file's.
            #expect(error == .otherEncoder(expected: "test-encoder (00000000000000aa)", got: "test-encoder (00000000000000bb)"))
            #expect(
                error.description
                    == "embeddings of encoder test-encoder (00000000000000bb) cannot join a d-vector made by encoder test-encoder (00000000000000aa)")
        }
        // A refused batch leaves the d-vector as it was, its good embeddings included.
        var e = d
        _ = try? e.add([Self.embedding(4), Self.embedding(5, Self.b)])
        #expect(e == d, "files \(e.files), was \(d.files)")
        _ = try? e.add([Self.embedding(6), Self.embedding(7, Self.a, dimension: 8)])
        #expect(e == d, "files \(e.files), was \(d.files)")
    }

    // MARK: The model file

    static func dvector() throws -> SpeakerDVector {
        var d = try SpeakerDVector(embeddings: (1...3).map { Self.embedding($0) })
        try d.add([Self.embedding(9)])
        return d
    }

    static func dvecRange(_ bytes: [UInt8]) -> Range<Int>? {
        var r = ByteReader(bytes: bytes, offset: 16)
        while r.offset < bytes.count - 20, let tag = r.tag(), let n = r.u64() {
            if tag == "DVEC" { return r.offset..<(r.offset + Int(n)) }
            r.offset += Int(n)
        }
        return nil
    }

    @Test func theModelFileKeepsTheDVectorExactly() throws {
        var m = try ModelFileTests.model()
        let d = try Self.dvector()
        m.dvector = d
        let bytes = try ModelFile.encode(m)
        #expect(Self.dvecRange(bytes) != nil)
        let back = try ModelFile.decode(bytes, name: "m.gmm")
        #expect(back.dvector == d)
        #expect(back.dvector?.sum.map(\.bitPattern) == d.sum.map(\.bitPattern))
        #expect(back.dvector?.encoder == Self.a && back.dvector?.files == 4)
        #expect(back.gmm == m.gmm && back.speaker == m.speaker)
        // Also when enrolment statistics are skipped, and through the store.
        #expect(try ModelFile.decode(bytes, name: "m.gmm", enrolmentStatistics: false).dvector == d)
        let dir = TempDir()
        defer { dir.cleanup() }
        try ModelStore.write(m, to: dir.file("alice.gmm"))
        #expect(try ModelStore.load(path: dir.file("alice.gmm")).dvector == d)
    }

    // Models enrolled without an encoder (and every file written before d-vectors) have no DVEC
    // section; they read as before, with no d-vector.
    @Test func aModelWithoutADVectorStillReads() throws {
        let m = try ModelFileTests.model()
        let bytes = try ModelFile.encode(m)
        #expect(Self.dvecRange(bytes) == nil)
        let back = try ModelFile.decode(bytes, name: "old.gmm")
        #expect(back.dvector == nil && back.gmm == m.gmm)
        // The bytes are those of a model with its d-vector, less the section.
        var with = m
        with.dvector = try Self.dvector()
        let withBytes = try ModelFile.encode(with)
        let r = try #require(Self.dvecRange(withBytes))
        let stripped = Array(withBytes[0..<(r.lowerBound - 12)]) + Array(withBytes[r.upperBound..<(withBytes.count - 20)])
        #expect(ModelFileTests.sign(stripped) == bytes)
    }

    // A DVEC section that does not hold together, behind a valid checksum: refused by name.
    @Test func aDamagedDVectorSectionIsRefused() throws {
        var m = try ModelFileTests.model()
        m.dvector = try Self.dvector()
        let bytes = try ModelFile.encode(m)
        let r = try #require(Self.dvecRange(bytes))
        let payload = Array(bytes[r])
        func withPayload(_ p: [UInt8]) -> [UInt8] {
            var out = Array(bytes[0..<(r.lowerBound - 8)])
            out.appendLE(UInt64(p.count))
            out += p
            out += bytes[r.upperBound..<(bytes.count - 20)]
            return ModelFileTests.sign(out)
        }
        let headerLength = Int(payload[0]) | Int(payload[1]) << 8
        let json = String(decoding: payload[4..<(4 + headerLength)], as: UTF8.self)
        func header(_ edit: (String) -> String) -> [UInt8] {
            let h = Array(edit(json).utf8)
            var p: [UInt8] = []
            p.appendLE(UInt32(h.count))
            return p + h + payload[(4 + headerLength)...]
        }
        var nan = payload
        for i in 0..<8 { nan[nan.count - 8 + i] = Array(Double.nan.bitPattern.littleEndianBytes)[i] }
        let cases: [(String, [UInt8])] = [
            ("cut short", Array(payload.prefix(payload.count - 8))),
            ("empty", []),
            ("header length past the end", [0xFF, 0xFF, 0, 0] + payload[4...]),
            ("header not JSON", header { $0.replacingOccurrences(of: "{", with: "[") }),
            ("dimension 15", header { $0.replacingOccurrences(of: "\"dimension\":16", with: "\"dimension\":15") }),
            ("no files", header { $0.replacingOccurrences(of: "\"files\":4", with: "\"files\":0") }),
            ("not finite", nan),
        ]
        for (what, p) in cases {
            do {
                _ = try ModelFile.decode(withPayload(p), name: "bad.gmm")
                Issue.record("\(what): read")
            } catch {
                #expect(error.description.hasPrefix("bad.gmm: ") && !error.description.contains("\n"), "\(what): \(error.description)")
            }
        }
        #expect(json.contains("\"dimension\":16") && json.contains("\"files\":4"), "\(json)")
    }

    // MARK: Scoring

    @Test func theScorerRefusesOtherEncodersAndSpeakersWithoutOne() throws {
        let encoder = try EncoderFile.decode(EncoderResources.smallEncoderFile(), name: "small")
        let id = encoder.identity
        var alice = try ModelFileTests.model(speaker: "alice"), bob = try ModelFileTests.model(speaker: "bob")
        alice.dvector = try SpeakerDVector(embeddings: [Self.embedding(1, id), Self.embedding(2, id)])
        bob.dvector = try SpeakerDVector(embeddings: [Self.embedding(3, id)])
        let scorer = try DVectorScorer(encoder: encoder, models: [alice, bob], folder: "models")
        let probe = Self.embedding(7, id)
        let scores = scorer.scores(probe)
        #expect(scorer.speakers == ["alice", "bob"])
        #expect(scores == [alice.dvector!.cosine(probe), bob.dvector!.cosine(probe)])
        #expect(abs(scores[1] - probe.cosine(Self.embedding(3, id))) < 1e-6)

        var carol = try ModelFileTests.model(speaker: "carol")
        carol.dvector = try SpeakerDVector(embeddings: [Self.embedding(4, EncoderIdentity(name: id.name, checksum: "0123456789abcdef"))])
        do {
            _ = try DVectorScorer(encoder: encoder, models: [alice, carol], folder: "models")
            Issue.record("another encoder's d-vector was scored")
        } catch {
            #expect(error.description.contains("\"carol\"") && error.description.contains("0123456789abcdef"), "\(error.description)")
        }
        let dave = try ModelFileTests.model(speaker: "dave")
        do {
            _ = try DVectorScorer(encoder: encoder, models: [alice, dave], folder: "models")
            Issue.record("a speaker without a d-vector was scored")
        } catch {
            #expect(error.description.contains("\"dave\"") && error.description.contains("no d-vector"), "\(error.description)")
        }
    }
}

private extension UInt64 {
    var littleEndianBytes: [UInt8] { (0..<8).map { UInt8((self >> (8 * $0)) & 0xFF) } }
}
