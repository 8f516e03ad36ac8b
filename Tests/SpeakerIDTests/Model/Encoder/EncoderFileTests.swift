import Foundation
import Testing
@testable import SpeakerID

/// SpeakerID's encoder file (magic "SPKRENC\0", version, byte-order mark, META, TNSR sections,
/// END + CRC-64): what it keeps, what it refuses, its identity, and where commands look for it.
struct EncoderFileTests {
    static func stored(_ file: [UInt8]) -> UInt64 {
        var r = ByteReader(bytes: file, offset: file.count - 8)
        return r.u64()!
    }

    /// Edited bytes with their checksum made valid again, to reach the checks behind it.
    static func resign(_ b: [UInt8]) -> [UInt8] {
        var out = Array(b[0..<(b.count - 20)])
        let crc = CRC64.checksum(out)
        var tail: [UInt8] = []
        tail.appendLE(crc)
        out.appendSection("END\0", tail)
        return out
    }

    @Test func roundTripKeepsTheNetwork() throws {
        let file = EncoderResources.smallEncoderFile(hidden: 8, layers: 2, embedding: 12, seed: 5)
        let e = try EncoderFile.decode(file, name: "small.encoder")
        #expect(e.hidden == 8 && e.layers.count == 2 && e.embeddingSize == 12)
        #expect(e.layers[0].inputSize == 40 && e.layers[1].inputSize == 8)
        #expect(e.identity == EncoderIdentity(name: "test-encoder", checksum: EncoderFile.hex(Self.stored(file))))
        // The same weights the file was made from (generated again from the seed).
        var rng = SeededRandom(seed: 5)
        func uniform(_ n: Int) -> [Float] { (0..<n).map { _ in Float((rng.nextUnit() * 2 - 1) / Double(8).squareRoot()) } }
        let ih0 = uniform(32 * 40), hh0 = uniform(32 * 8), bih0 = uniform(32), bhh0 = uniform(32)
        #expect(e.layers[0].inputWeights == SpeakerEncoder.padded(EncoderFile.transposed(ih0, rows: 32), hidden: 8))
        #expect(e.layers[0].recurrentWeights == SpeakerEncoder.padded(EncoderFile.transposed(hh0, rows: 32), hidden: 8))
        #expect(e.layers[0].bias == zip(bih0, bhh0).map { $0 + $1 })
        // Its metadata, read from a file.
        let dir = TempDir()
        defer { dir.cleanup() }
        let path = dir.file("small.encoder")
        try Data(file).write(to: URL(fileURLWithPath: path))
        let meta = try EncoderFile.metadata(ofFileAt: path)
        #expect(meta.name == "test-encoder" && meta.hidden == 8 && meta.layers == 2 && meta.embeddingSize == 12 && meta.bands == 40)
        let loaded = try SpeakerEncoder.load(path: path)
        #expect(loaded.identity == e.identity)
        // Embeddings of one encoder, loaded twice, are identical.
        let x = sine(180, seconds: 2, rate: 16000, amplitude: 0.2)
        #expect(loaded.embed(preprocessed: x).embedding == e.embed(preprocessed: x).embedding)
    }

    // One bit changed anywhere: refused. Past the 16-byte header, as a checksum mismatch.
    @Test func everyFlippedBitIsRefused() throws {
        let file = EncoderResources.smallEncoderFile()
        for i in 0..<file.count {
            var b = file
            b[i] ^= 1 << UInt8(i % 8)
            do {
                _ = try EncoderFile.decode(b, name: "flipped.encoder")
                Issue.record("byte \(i) of \(file.count) changed, still read")
            } catch {
                if i >= 16 {
                    #expect(
                        error == .corrupt("flipped.encoder", reason: "checksum mismatch: the file was damaged or truncated"), "byte \(i): \(error)")
                }
                #expect(error.description.hasPrefix("flipped.encoder: ") && !error.description.contains("\n"))
            }
        }
    }

    @Test(.enabled(if: EncoderResources.wheel != nil, EncoderResources.wheelAbsent))
    func flippedBytesOfResemblyzersEncoderAreRefused() throws {
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try EncoderResources.convertedWheel())))
        var r = SeededRandom(seed: 99)
        for _ in 0..<40 {
            let i = 16 + Int(r.next() % UInt64(file.count - 16))
            var b = file
            b[i] ^= 0x10
            #expect(throws: EncoderError.corrupt("r.encoder", reason: "checksum mismatch: the file was damaged or truncated"), "byte \(i)") {
                try EncoderFile.decode(b, name: "r.encoder")
            }
        }
    }

    @Test func truncatedFilesAreRefused() {
        let file = EncoderResources.smallEncoderFile()
        for n in 0..<file.count {
            #expect(throws: EncoderError.self, "\(n) of \(file.count) bytes") { try EncoderFile.decode(Array(file.prefix(n)), name: "cut") }
        }
        // With a trailer appended again (a file cut, then "repaired"): the structure is checked.
        for n in [16, 17, 40, 200, file.count / 2, file.count - 21] {
            #expect(throws: EncoderError.self, "\(n) bytes, re-signed") {
                try EncoderFile.decode(Self.resign(Array(file.prefix(n)) + [UInt8](repeating: 0, count: 20)), name: "cut")
            }
        }
    }

    @Test func wrongMagicAndNewerVersionsAreRefused() throws {
        let file = EncoderResources.smallEncoderFile()
        // A speaker model is not an encoder.
        let model = try ModelFile.encode(try ModelFileTests.model())
        #expect(throws: EncoderError.notAnEncoder("m.gmm", reason: "wrong magic number; `speakerid encoder fetch` makes one")) {
            try EncoderFile.decode(model, name: "m.gmm")
        }
        var v2 = file
        v2[8] = 2
        for b in [v2, Self.resign(v2)] {
            do {
                _ = try EncoderFile.decode(b, name: "v2.encoder")
                Issue.record("version 2 read")
            } catch {
                #expect(error == .notAnEncoder("v2.encoder", reason: "format version 2 is newer than this SpeakerID reads (1)"))
                #expect(error.description.contains("newer than this SpeakerID reads"))
            }
        }
        var v0 = file
        v0[8] = 0
        #expect(throws: EncoderError.corrupt("v0", reason: "format version 0")) { try EncoderFile.decode(Self.resign(v0), name: "v0") }
        var bom = file
        bom[12] = 0x05
        #expect(throws: EncoderError.corrupt("bom", reason: "bad byte-order mark")) { try EncoderFile.decode(Self.resign(bom), name: "bom") }
    }

    // Behind a valid checksum: a network of other shapes, a value that is not finite, no
    // metadata. Each refused by name.
    @Test func structureBehindTheChecksumIsChecked() throws {
        let meta = EncoderFile.Metadata(
            name: "x", sourcePackage: "t", sourceVersion: "0", sourceFile: "f", sourceChecksum: "0",
            licence: "none", sampleRate: 16000, bands: 40, hidden: 2, layers: 1, embeddingSize: 3)
        func tensors(_ edit: (inout [(String, [Int], [Float])]) -> Void = { _ in }) -> [(String, [Int], [Float])] {
            var t: [(String, [Int], [Float])] = [
                ("lstm.weight_ih_l0", [8, 40], [Float](repeating: 0.1, count: 320)),
                ("lstm.weight_hh_l0", [8, 2], [Float](repeating: 0.1, count: 16)),
                ("lstm.bias_ih_l0", [8], [Float](repeating: 0, count: 8)),
                ("lstm.bias_hh_l0", [8], [Float](repeating: 0, count: 8)),
                ("linear.weight", [3, 2], [1, 0, 0, 1, 1, 1]), ("linear.bias", [3], [0, 0, 0]),
            ]
            edit(&t)
            return t
        }
        _ = try EncoderFile.decode(EncoderFile.encode(meta, tensors()), name: "ok")
        #expect(throws: EncoderError.unexpectedNetwork("shape", reason: "tensor linear.weight is 2x3, expected 3x2")) {
            try EncoderFile.decode(EncoderFile.encode(meta, tensors { $0[4].1 = [2, 3] }), name: "shape")
        }
        #expect(throws: EncoderError.unexpectedNetwork("missing", reason: "no tensor linear.bias")) {
            try EncoderFile.decode(EncoderFile.encode(meta, tensors { $0.removeLast() }), name: "missing")
        }
        #expect(throws: EncoderError.corrupt("nan", reason: "tensor linear.bias holds a value that is not finite")) {
            try EncoderFile.decode(EncoderFile.encode(meta, tensors { $0[5].2[1] = .nan }), name: "nan")
        }
        #expect(throws: EncoderError.corrupt("count", reason: "tensor linear.bias holds the wrong number of values")) {
            try EncoderFile.decode(EncoderFile.encode(meta, tensors { $0[5].2.append(0) }), name: "count")
        }
        var otherBands = meta
        otherBands.bands = 80
        #expect(throws: EncoderError.self) { try EncoderFile.decode(EncoderFile.encode(otherBands, tensors()), name: "bands") }
        // No META section: the tensors alone.
        var bare = EncoderFile.magic
        bare.appendLE(EncoderFile.version)
        bare.appendLE(UInt32(0x0102_0304))
        bare += [UInt8](repeating: 0, count: 20)
        #expect(throws: EncoderError.corrupt("bare", reason: "no META section")) { try EncoderFile.decode(Self.resign(bare), name: "bare") }
    }

    // The identity is the file's checksum: the same source gives the same bytes every time.
    @Test func conversionIsDeterministic() throws {
        let pt = LegacyCheckpoint.randomResemblyzer(seed: 21).0.bytes()
        let a = try EncoderFile.fromResemblyzerCheckpoint(pt, sourceName: "random.pt")
        let b = try EncoderFile.fromResemblyzerCheckpoint(pt, sourceName: "elsewhere/random.pt")
        #expect(a == b, "the source's path is not part of the file")
        let other = try EncoderFile.fromResemblyzerCheckpoint(LegacyCheckpoint.randomResemblyzer(seed: 22).0.bytes(), sourceName: "random.pt")
        #expect(Self.stored(a) != Self.stored(other), "other weights, another identity")
    }

    // resemblyzer's wheel and the pretrained.pt inside it convert to the same bytes, every
    // time, with the identity enrolled d-vectors carry.
    @Test(.enabled(if: EncoderResources.pretrainedPT != nil, EncoderResources.pretrainedAbsent))
    func resemblyzersEncoderHasAFixedIdentity() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let first = try EncoderResources.convertedWheel()
        let again = dir.file("again.encoder"), fromPT = dir.file("pt.encoder")
        #expect(try CLI.run(["encoder", "convert", try #require(EncoderResources.wheel), "--out", again]).status == 0)
        #expect(try CLI.run(["encoder", "convert", try #require(EncoderResources.pretrainedPT), "--out", fromPT]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: first))
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == bytes)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fromPT)) == bytes)
        let encoder = try SpeakerEncoder.load(path: first)
        #expect(encoder.identity == EncoderIdentity(name: "resemblyzer-0.1.4", checksum: EncoderResources.pinnedIdentity))
        let meta = try EncoderFile.metadata(ofFileAt: first)
        #expect(meta.sourceChecksum == EncoderResources.pinnedSourceChecksum && meta.sourceVersion == "0.1.4")
        // The licence is written beside it, with the wheel's LICENSE.
        let licence = try String(contentsOfFile: PathName.deletingExtension(again) + ".LICENSE", encoding: .utf8)
        #expect(licence.contains("Apache License") && licence.contains("resemblyzer"))
    }

    @Test func defaultPathFollowsTheEnvironment() {
        let name = EncoderFile.defaultFileName
        #expect(name == "resemblyzer-0.1.4.encoder")
        #expect(
            EncoderFile.defaultPath(environment: ["SPEAKERID_ENCODER": "/opt/e.encoder", "HOME": "/home/u", "XDG_DATA_HOME": "/x"])
                == "/opt/e.encoder")
        #expect(EncoderFile.defaultPath(environment: ["SPEAKERID_ENCODER": "rel/e.encoder"]) == "rel/e.encoder", "an explicit path is taken as given")
        #expect(EncoderFile.defaultPath(environment: ["SPEAKERID_ENCODER": "", "HOME": "/home/u"]) == "/home/u/.local/share/speakerid/\(name)")
        #expect(EncoderFile.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/u"]) == "/data/speakerid/\(name)")
        #expect(EncoderFile.defaultPath(environment: ["XDG_DATA_HOME": "/data/"]) == "/data/speakerid/\(name)")
        // A relative XDG_DATA_HOME is invalid (XDG Base Directory specification): ignored.
        #expect(EncoderFile.defaultPath(environment: ["XDG_DATA_HOME": "data", "HOME": "/home/u"]) == "/home/u/.local/share/speakerid/\(name)")
        #expect(EncoderFile.defaultPath(environment: ["XDG_DATA_HOME": "", "HOME": "/home/u/"]) == "/home/u/.local/share/speakerid/\(name)")
        #expect(EncoderFile.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.local/share/speakerid/\(name)")
        #expect(EncoderFile.defaultPath(environment: ["XDG_DATA_HOME": "data"]) == nil)
        #expect(EncoderFile.defaultPath(environment: ["HOME": ""]) == nil)
        #expect(EncoderFile.defaultPath(environment: [:]) == nil)
    }

    // A tensor whose four sizes are each allowed but whose product overflows Int, behind a valid
    // checksum: refused in one line, not a crash (through the tool, so a crash fails only this
    // test).
    @Test func craftedTensorSizesAreRefusedNotACrash() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let meta = EncoderFile.Metadata(
            name: "x", sourcePackage: "t", sourceVersion: "0", sourceFile: "f", sourceChecksum: "0",
            licence: "none", sampleRate: 16000, bands: 40, hidden: 2, layers: 1, embeddingSize: 3)
        let path = dir.file("crafted.encoder")
        try Data(EncoderFile.encode(meta, [("lstm.weight_ih_l0", [1 << 20, 1 << 20, 1 << 20, 1 << 20], [])])).write(to: URL(fileURLWithPath: path))
        let clip = dir.file("a.wav")
        try AudioWriter.write(sine(200, seconds: 2, rate: 16000), sampleRate: 16000, to: clip)
        let r = try CLI.run(["encoder", "embed", "--encoder", path, clip])
        #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(path), "exit \(r.status): \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
