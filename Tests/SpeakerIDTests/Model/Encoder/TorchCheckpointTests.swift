import Foundation
import Testing
@testable import SpeakerID

/// The reader of legacy torch.save checkpoints (resemblyzer's pretrained.pt): the tensors it
/// reads, what it refuses (in one line naming the file), and that no input crashes it.
struct TorchCheckpointTests {
    /// A checkpoint of three small tensors: contiguous, a transposed view, and a view at an
    /// offset of a shared storage.
    static func small() -> LegacyCheckpoint {
        var c = LegacyCheckpoint()
        c.storages = [("s0", [1, 2, 3, 4, 5, 6]), ("s1", [10, 11, 12, 13, 14, 15, 16, 17])]
        c.tensors = [
            LegacyCheckpoint.Tensor(name: "a", storage: "s0", offset: 0, shape: [2, 3], stride: [3, 1]),
            LegacyCheckpoint.Tensor(name: "b", storage: "s0", offset: 0, shape: [3, 2], stride: [1, 3]),
            LegacyCheckpoint.Tensor(name: "c", storage: "s1", offset: 5, shape: [3], stride: [1]),
            LegacyCheckpoint.Tensor(name: "d", storage: "s1", offset: 1, shape: [2, 2], stride: [4, 2]),
        ]
        return c
    }

    static func read(_ bytes: [UInt8], name: String = "test.pt") throws(EncoderError) -> [String: TorchLegacyCheckpoint.Tensor] {
        try TorchLegacyCheckpoint(bytes: bytes, stateKey: "model_state", name: name).tensors
    }

    @Test func readsViewsOfStorages() throws {
        let t = try Self.read(Self.small().bytes())
        #expect(t["a"] == .init(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))
        #expect(t["b"] == .init(shape: [3, 2], values: [1, 4, 2, 5, 3, 6]))
        #expect(t["c"] == .init(shape: [3], values: [15, 16, 17]))
        #expect(t["d"] == .init(shape: [2, 2], values: [11, 13, 15, 17]))
        #expect(t.count == 4)
        // A state dictionary under another key is not found.
        #expect(throws: EncoderError.self) { try TorchLegacyCheckpoint(bytes: Self.small().bytes(), stateKey: "state_dict", name: "x") }
    }

    // resemblyzer's layout, written as PyTorch writes it: every tensor read back exactly, and
    // converted into an encoder of the expected shapes.
    @Test func readsResemblyzersNetworkFromAStridedCheckpoint() throws {
        let (c, logical) = LegacyCheckpoint.randomResemblyzer(seed: 2)
        let bytes = c.bytes()
        let t = try Self.read(bytes)
        for (name, (shape, values)) in logical {
            #expect(t[name]?.shape == shape, "\(name)")
            #expect(t[name]?.values == values, "\(name)")
        }
        let encoder = try EncoderFile.decode(try EncoderFile.fromResemblyzerCheckpoint(bytes, sourceName: "random.pt"), name: "random.encoder")
        #expect(encoder.embeddingSize == 256 && encoder.layers.count == 3 && encoder.hidden == 256)
        // The encoder's first layer holds weight_ih_l0 transposed (40 x 1024) whatever its
        // storage layout; its bias is the sum of PyTorch's two.
        let ih = try #require(logical["lstm.weight_ih_l0"]).values
        #expect(encoder.layers[0].inputWeights == SpeakerEncoder.padded(EncoderFile.transposed(ih, rows: 1024), hidden: 256))
        let bias = zip(logical["lstm.bias_ih_l0"]!.values, logical["lstm.bias_hh_l0"]!.values).map { $0 + $1 }
        #expect(encoder.layers[0].bias == bias)
    }

    @Test(.enabled(if: EncoderResources.pretrainedPT != nil, EncoderResources.pretrainedAbsent))
    func readsResemblyzersCheckpoint() throws {
        let pt = try #require(EncoderResources.pretrainedPT)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pt)))
        let t = try Self.read(bytes, name: pt)
        for name in EncoderFile.resemblyzerTensorNames { #expect(t[name] != nil, "\(name)") }
        #expect(t["lstm.weight_ih_l0"]?.shape == [1024, 40] && t["lstm.weight_hh_l2"]?.shape == [1024, 256])
        #expect(t["linear.weight"]?.shape == [256, 256] && t["similarity_weight"]?.shape == [1])
        #expect(t.values.allSatisfy { $0.values.allSatisfy(\.isFinite) })
        #expect(
            EncoderFile.hex(CRC64.checksum(bytes)) == EncoderResources.pinnedSourceChecksum,
            "not the pretrained.pt of resemblyzer 0.1.4's wheel whose hash `encoder fetch` pins")
    }

    // MARK: Refusals

    /// Files the converter must refuse, each with what the message must say.
    static func hostileFiles() -> [(name: String, bytes: [UInt8], says: String)] {
        var afterHeader = PickleBytes.legacyHeader()
        afterHeader += PickleBytes.callingOSSystem()
        var otherGlobal = PickleBytes()
        otherGlobal.proto()
        otherGlobal.global("builtins", "eval")
        otherGlobal.mark()
        otherGlobal.string("1")
        otherGlobal.tuple()
        otherGlobal.reduce()
        otherGlobal.stop()
        var notStorage = PickleBytes()
        notStorage.proto()
        notStorage.mark()
        notStorage.string("module")
        notStorage.string("os")
        notStorage.string("x")
        notStorage.tuple()
        notStorage.persistentID()
        notStorage.stop()
        var zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]
        zip += Array("archive/data.pkl".utf8) + [UInt8](repeating: 0, count: 100)
        return [
            ("text.pt", Array("hello, this is not a checkpoint\n".utf8), "not resemblyzer's pretrained.pt"),
            ("empty.pt", [], "cut short"),
            ("os-system.pt", PickleBytes.callingOSSystem(), "os.system"),
            ("os-system-in-state.pt", afterHeader, "os.system"),
            ("eval.pt", PickleBytes.legacyHeader() + otherGlobal.bytes, "builtins.eval"),
            ("persistent.pt", PickleBytes.legacyHeader() + notStorage.bytes, "not a torch storage"),
            ("zip.pt", zip, "not resemblyzer's pretrained.pt"),
            ("magic-only.pt", Array(PickleBytes.legacyHeader().prefix(15)), "not resemblyzer's pretrained.pt"),
        ]
    }

    @Test func refusesWhatIsNotAWeightsFile() throws {
        for f in Self.hostileFiles() {
            do {
                _ = try EncoderFile.fromResemblyzerCheckpoint(f.bytes, sourceName: f.name)
                Issue.record("\(f.name) was read")
            } catch {
                #expect(
                    error.description.hasPrefix("\(f.name): ") && error.description.contains(f.says) && !error.description.contains("\n"),
                    "\(f.name): \(error.description)")
            }
        }
    }

    // Through the tool: exit 1, one line naming the file, nothing written.
    @Test func convertRefusesThemInOneLine() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        for f in Self.hostileFiles() {
            let path = dir.file(f.name)
            try Data(f.bytes).write(to: URL(fileURLWithPath: path))
            let out = dir.file("out/\(f.name).encoder")
            try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
            let r = try CLI.run(["encoder", "convert", path, "--out", out])
            let lines = r.stderr.split(separator: "\n")
            #expect(r.status == 1 && lines.count == 1 && r.stderr.contains(path) && r.stderr.contains(f.says), "\(f.name): \(r.status) \(r.stderr)")
            #expect((try FileManager.default.contentsOfDirectory(atPath: dir.file("out"))).isEmpty, "\(f.name): something was written")
        }
    }

    // A PyTorch 1.6+ checkpoint is a zip: refused, and the message says why (the zip's first
    // bytes are checked before unpickling).
    @Test func aZipCheckpointIsNamedAsSuch() throws {
        let zip = try #require(Self.hostileFiles().first { $0.name == "zip.pt" })
        do {
            _ = try Self.read(zip.bytes, name: zip.name)
            Issue.record("a zip was read")
        } catch {
            guard case EncoderError.notACheckpoint(_, let reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(reason.contains("PyTorch 1.6 or later is a zip file"), "\(reason)")
        }
    }

    // Every prefix of a checkpoint is refused (the pickles cut, the storages cut).
    @Test func truncatedCheckpointsAreRefused() throws {
        let bytes = Self.small().bytes()
        for n in 0..<bytes.count {
            #expect(throws: EncoderError.self, "\(n) of \(bytes.count) bytes") { try Self.read(Array(bytes.prefix(n))) }
        }
    }

    @Test(.enabled(if: EncoderResources.pretrainedPT != nil, EncoderResources.pretrainedAbsent))
    func truncatedPretrainedPTIsRefused() throws {
        let pt = try #require(EncoderResources.pretrainedPT)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pt)))
        var cuts = [
            0, 1, 2, 11, 12, 20, 100, 1000, 4096, 10_000, 20_000, bytes.count / 2, bytes.count - 4 * 256 - 3, bytes.count - 8, bytes.count - 1,
        ]
        var r = SeededRandom(seed: 17)
        for _ in 0..<20 { cuts.append(Int(r.next() % UInt64(bytes.count))) }
        for n in cuts {
            do {
                _ = try EncoderFile.fromResemblyzerCheckpoint(Array(bytes.prefix(n)), sourceName: "cut.pt")
                Issue.record("\(n) of \(bytes.count) bytes were read as a checkpoint")
            } catch {
                #expect(error.description.hasPrefix("cut.pt: ") && !error.description.contains("\n"), "\(n) bytes: \(error.description)")
            }
        }
        // Through the tool, cut in the pickles and in the storages.
        let dir = TempDir()
        defer { dir.cleanup() }
        for n in [5000, bytes.count - 100] {
            let path = dir.file("cut-\(n).pt")
            try Data(bytes.prefix(n)).write(to: URL(fileURLWithPath: path))
            let run = try CLI.run(["encoder", "convert", path, "--out", dir.file("cut.encoder")])
            #expect(run.status == 1 && run.stderr.split(separator: "\n").count == 1 && run.stderr.contains(path), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("cut.encoder")))
        }
    }

    // Random bytes, and a checkpoint with bytes changed, inserted and removed: the reader only
    // ever returns or throws (a crash here takes the test run down; the seed fixes the inputs).
    @Test func noInputCrashesTheReader() {
        var r = SeededRandom(seed: 2026)
        let base = Self.small().bytes()
        var thrown = 0, read = 0
        func attempt(_ b: [UInt8]) {
            do {
                _ = try Self.read(b)
                read += 1
            } catch { thrown += 1 }
        }
        for _ in 0..<1500 {
            let n = Int(r.next() % 400)
            var b = (0..<n).map { _ in UInt8(truncatingIfNeeded: r.next()) }
            // Half of them start as a pickle does, to get past the first opcode.
            if r.next() % 2 == 0 && n > 2 {
                b[0] = 0x80
                b[1] = 2
            }
            attempt(b)
        }
        for _ in 0..<3000 {
            var b = base
            for _ in 0..<(1 + Int(r.next() % 4)) {
                let at = Int(r.next() % UInt64(b.count))
                switch r.next() % 4 {
                case 0: b[at] = UInt8(truncatingIfNeeded: r.next())
                case 1: b[at] ^= 1 << UInt8(r.next() % 8)
                case 2: b.insert(UInt8(truncatingIfNeeded: r.next()), at: at)
                default: b.remove(at: at)
                }
                if b.isEmpty { break }
            }
            attempt(b)
        }
        #expect(thrown + read == 4500)
        #expect(thrown > 4000, "most damaged inputs are refused (\(read) read; 137 when written)")
    }

    // Crafted checkpoints whose tensor geometry overflows Int, and a pickle nested a million
    // deep: each must be refused in one line. Run through the tool, so a crash fails this test
    // instead of the test run.
    @Test func craftedGeometryIsRefusedNotACrash() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        func crafted(shape: [Int], stride: [Int], offset: Int = 0) -> [UInt8] {
            var c = LegacyCheckpoint()
            c.storages = [("0", [1, 2, 3, 4])]
            c.tensors = [LegacyCheckpoint.Tensor(name: "lstm.weight_ih_l0", storage: "0", offset: offset, shape: shape, stride: stride)]
            return c.bytes()
        }
        var deep = PickleBytes()
        deep.proto()
        deep.none()
        deep.bytes += [UInt8](repeating: 0x85, count: 1_000_000)  // TUPLE1 around TUPLE1 around ...
        deep.stop()
        let cases: [(String, [UInt8])] = [
            ("stride-overflow.pt", crafted(shape: [3], stride: [1 << 62])),
            ("shape-product-overflow.pt", crafted(shape: [1 << 24, 1 << 24, 1 << 24, 1 << 24], stride: [0, 0, 0, 0])),
            ("offset-overflow.pt", crafted(shape: [2], stride: [1 << 62], offset: 1 << 62)),
            ("nested.pt", deep.bytes),
        ]
        for (name, bytes) in cases {
            let path = dir.file(name)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let r = try CLI.run(["encoder", "convert", path, "--out", dir.file("x.encoder")])
            #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(path), "\(name): exit \(r.status): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("x.encoder")), "\(name): something was written")
        }
    }
}
