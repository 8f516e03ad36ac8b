import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// What the speaker-encoder suites need from outside the repository, found once per run:
/// resemblyzer 0.1.4's wheel (SPEAKERID_RESEMBLYZER_WHEEL; never committed) and python3 with
/// the modules Tests/Encoder/reference_encoder.py imports. A test that needs one that is absent
/// is skipped, saying what it needs.
enum EncoderResources {
    /// Resemblyzer-0.1.4-py3-none-any.whl, from SPEAKERID_RESEMBLYZER_WHEEL (CI: pip download
    /// resemblyzer==0.1.4 --no-deps --only-binary=:all:).
    static let wheel: String? = {
        guard let p = ProcessInfo.processInfo.environment["SPEAKERID_RESEMBLYZER_WHEEL"], !p.isEmpty,
            FileSystem.isRegularFile(p)
        else { return nil }
        return p
    }()
    static let wheelAbsent: Comment = "needs resemblyzer 0.1.4's wheel: set SPEAKERID_RESEMBLYZER_WHEEL to Resemblyzer-0.1.4-py3-none-any.whl"

    /// CRC-64 (hex) of the pretrained.pt inside the wheel pip's pinned hash gives, and the
    /// identity `speakerid encoder convert` gives the encoder made from it (format version 1).
    /// A change to the identity orphans every d-vector users have enrolled.
    static let pinnedSourceChecksum = "d182abe2513f0699"
    static let pinnedIdentity = "dbca70ed7ac582e7"

    /// A folder for the whole test run, removed when the test process exits.
    static let scratch: TempDir = {
        let d = TempDir()
        atexit { EncoderResources.removeScratch() }
        return d
    }()
    static func removeScratch() { scratch.cleanup() }

    /// The wheel converted by `speakerid encoder convert`, once per run.
    static let realEncoder: Result<String, CLIFailure>? = {
        guard let wheel else { return nil }
        let out = scratch.file("resemblyzer-0.1.4.encoder")
        do {
            let r = try CLI.run(["encoder", "convert", wheel, "--out", out])
            return r.status == 0 ? .success(out) : .failure(CLIFailure(r.stderr))
        } catch { return .failure(CLIFailure("\(error)")) }
    }()

    static func convertedWheel() throws -> String {
        guard let r = realEncoder else { throw CLIFailure("no wheel") }
        return try r.get()
    }

    /// The pretrained.pt inside the wheel, extracted with python3's zipfile (needs the wheel and
    /// python3, standard library only).
    static let pretrainedPT: String? = {
        guard let wheel, Python.available else { return nil }
        let out = scratch.file("pretrained.pt")
        let r = try? Python.run([
            "-c", "import sys, zipfile; open(sys.argv[2], 'wb').write(zipfile.ZipFile(sys.argv[1]).read('resemblyzer/pretrained.pt'))",
            wheel, out,
        ])
        return r?.status == 0 ? out : nil
    }()
    static let pretrainedAbsent: Comment = "needs resemblyzer 0.1.4's wheel (SPEAKERID_RESEMBLYZER_WHEEL) and python3 to extract its pretrained.pt"

    // MARK: Encoders made in the test

    /// A small encoder of SpeakerID's format with random weights (`SyntheticEncoder`).
    static func smallEncoderFile(
        hidden: Int = 8, layers: Int = 1, embedding: Int = 16, seed: UInt64 = 1,
        name: String = "test-encoder"
    ) -> [UInt8] {
        SyntheticEncoder.file(hidden: hidden, layers: layers, embedding: embedding, seed: seed, name: name)
    }

    /// `smallEncoderFile` written to `path`.
    static func writeSmallEncoder(to path: String, seed: UInt64 = 1) throws -> String {
        try Data(smallEncoderFile(seed: seed)).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// python3 and the reference implementation beside the tests.
enum Python {
    static func run(_ args: [String]) throws -> CLI.Run { try CLI.runTool("/usr/bin/env", ["python3"] + args) }
    static func has(_ modules: String) -> Bool { (try? run(["-c", "import \(modules)"]))?.status == 0 }

    static let available: Bool = has("sys, zipfile")
    static let numpy: Bool = has("numpy")
    /// What `reference_encoder.py embed --raw` and `mel` need.
    static let reference: Bool = has("numpy, scipy, librosa, soundfile")
    static let numpyAbsent: Comment = "needs python3 with numpy (pip install numpy)"
    static let referenceAbsent: Comment = "needs python3 with numpy, scipy, librosa, soundfile (pip install numpy scipy librosa soundfile)"

    static let referenceScript = Repository.root.appendingPathComponent("Tests/Encoder/reference_encoder.py").path

    /// `reference_encoder.py ARGS`, its JSON lines; throws with its standard error on failure.
    static func reference(_ args: [String]) throws -> [[String: Any]] {
        let r = try run([referenceScript] + args)
        guard r.status == 0 else { throw CLIFailure("reference_encoder.py \(args.joined(separator: " ")): \(r.stderr)") }
        return CLI.jsonLines(r.stdout)
    }
}

/// Pickle opcodes (protocol 2) as torch.save's legacy format writes them, to build checkpoints
/// (and hostile pickles) byte by byte.
struct PickleBytes {
    var bytes: [UInt8] = []
    private var memo = 0

    mutating func proto() { bytes += [0x80, 2] }
    mutating func stop() { bytes.append(0x2E) }
    mutating func mark() { bytes.append(0x28) }
    mutating func tuple() { bytes.append(0x74) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func emptyDict() { bytes.append(0x7D) }
    mutating func emptyList() { bytes.append(0x5D) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func appends() { bytes.append(0x65) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func none() { bytes.append(0x4E) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 0x88 : 0x89) }
    mutating func persistentID() { bytes.append(0x51) }
    /// BINPUT of the top of the stack; returns the memo index.
    @discardableResult mutating func put() -> Int {
        bytes += [0x71, UInt8(memo)]
        memo += 1
        return memo - 1
    }
    mutating func get(_ i: Int) { bytes += [0x68, UInt8(i)] }
    mutating func string(_ s: String) {
        let u = Array(s.utf8)
        bytes.append(0x58)
        bytes.appendLE(UInt32(u.count))
        bytes += u
    }
    mutating func int(_ v: Int) {
        if (0..<256).contains(v) {
            bytes += [0x4B, UInt8(v)]
        } else if (0..<65536).contains(v) {
            bytes += [0x4D, UInt8(v & 0xFF), UInt8(v >> 8)]
        } else if let i = Int32(exactly: v) {
            bytes.append(0x4A)
            bytes.appendLE(UInt32(bitPattern: i))
        } else {
            bytes += [0x8A, 8]
            bytes.appendLE(UInt64(bitPattern: Int64(v)))
        }
    }
    mutating func global(_ module: String, _ name: String) {
        bytes.append(0x63)
        bytes += Array("\(module)\n\(name)\n".utf8)
    }
    mutating func ints(_ v: [Int]) {
        mark()
        for x in v { int(x) }
        tuple()
    }

    /// The three pickles that open a legacy torch.save file: the magic number, the protocol
    /// version (1001), the system information.
    static func legacyHeader() -> [UInt8] {
        var p = PickleBytes()
        p.proto()
        p.bytes += [0x8A, 10] + TorchLegacyCheckpoint.magic
        p.stop()
        p.proto()
        p.int(1001)
        p.stop()
        p.proto()
        p.emptyDict()
        p.mark()
        p.string("protocol_version")
        p.int(1001)
        p.string("little_endian")
        p.bool(true)
        p.string("type_sizes")
        p.emptyDict()
        p.mark()
        p.string("int")
        p.int(4)
        p.string("long")
        p.int(4)
        p.setItems()
        p.setItems()
        p.stop()
        return p.bytes
    }

    /// A pickle that calls os.system("ls") when Python loads it.
    static func callingOSSystem() -> [UInt8] {
        var p = PickleBytes()
        p.proto()
        p.global("os", "system")
        p.mark()
        p.string("ls")
        p.tuple()
        p.reduce()
        p.stop()
        return p.bytes
    }
}

/// A legacy (before PyTorch 1.6) torch.save file of a dictionary {"step": 1, "model_state":
/// OrderedDict of tensors}, laid out as resemblyzer's pretrained.pt is: tensors are views
/// (offset, shape, stride) of float storages, written after the pickles.
struct LegacyCheckpoint {
    struct Tensor {
        var name: String
        var storage: String
        var offset: Int
        var shape: [Int]
        var stride: [Int]
    }

    var storages: [(key: String, values: [Float])] = []
    var tensors: [Tensor] = []
    var stateKey = "model_state"

    func bytes() -> [UInt8] {
        var out = PickleBytes.legacyHeader()
        var p = PickleBytes()
        p.proto()
        p.emptyDict()
        p.put()
        p.mark()
        p.string("step")
        p.int(1_564_501)
        p.string(stateKey)
        p.global("collections", "OrderedDict")
        let orderedDict = p.put()
        p.emptyTuple()
        p.reduce()
        p.mark()
        var rebuild: Int?
        var floatStorage: Int?
        for t in tensors {
            p.string(t.name)
            if let rebuild {
                p.get(rebuild)
            } else {
                p.global("torch._utils", "_rebuild_tensor_v2")
                rebuild = p.put()
            }
            p.mark()
            p.mark()
            p.string("storage")
            if let floatStorage {
                p.get(floatStorage)
            } else {
                p.global("torch", "FloatStorage")
                floatStorage = p.put()
            }
            p.string(t.storage)
            p.string("cpu")
            p.int(storages.first { $0.key == t.storage }?.values.count ?? 0)
            p.none()
            p.tuple()
            p.persistentID()
            p.int(t.offset)
            p.ints(t.shape)
            p.ints(t.stride)
            p.bool(false)
            p.get(orderedDict)
            p.emptyTuple()
            p.reduce()
            p.tuple()
            p.reduce()
        }
        p.setItems()
        p.setItems()
        p.stop()
        out += p.bytes
        var keys = PickleBytes()
        keys.proto()
        keys.emptyList()
        keys.mark()
        for s in storages { keys.string(s.key) }
        keys.appends()
        keys.stop()
        out += keys.bytes
        for s in storages {
            out.appendLE(UInt64(s.values.count))
            for v in s.values { out.appendLE(v.bitPattern) }
        }
        return out
    }

    /// A checkpoint with resemblyzer's network's tensors (hidden 256, three layers, embedding
    /// 256) of random weights (PyTorch's initialisation range), stored as PyTorch may store
    /// them: the first layer's input weights transposed in their storage (stride 1, 1024),
    /// each layer's two biases in one storage at offsets 0 and 1024, the linear weights at
    /// offset 7 of theirs, the rest contiguous. Returns the checkpoint and each tensor's values
    /// in row-major order.
    static func randomResemblyzer(seed: UInt64) -> (LegacyCheckpoint, [String: (shape: [Int], values: [Float])]) {
        var rng = SeededRandom(seed: seed)
        let H = 256, scale = 1 / Double(H).squareRoot()
        func uniform(_ n: Int) -> [Float] { (0..<n).map { _ in Float((rng.nextUnit() * 2 - 1) * scale) } }
        var c = LegacyCheckpoint()
        var logical: [String: (shape: [Int], values: [Float])] = [:]
        for l in 0..<3 {
            let input = l == 0 ? 40 : H
            let ih = uniform(4 * H * input), hh = uniform(4 * H * H), bih = uniform(4 * H), bhh = uniform(4 * H)
            logical["lstm.weight_ih_l\(l)"] = ([4 * H, input], ih)
            logical["lstm.weight_hh_l\(l)"] = ([4 * H, H], hh)
            logical["lstm.bias_ih_l\(l)"] = ([4 * H], bih)
            logical["lstm.bias_hh_l\(l)"] = ([4 * H], bhh)
            if l == 0 {
                var transposed = [Float](repeating: 0, count: ih.count)
                for r in 0..<(4 * H) { for col in 0..<input { transposed[col * 4 * H + r] = ih[r * input + col] } }
                c.storages.append(("ih0", transposed))
                c.tensors.append(Tensor(name: "lstm.weight_ih_l0", storage: "ih0", offset: 0, shape: [4 * H, input], stride: [1, 4 * H]))
            } else {
                c.storages.append(("ih\(l)", ih))
                c.tensors.append(Tensor(name: "lstm.weight_ih_l\(l)", storage: "ih\(l)", offset: 0, shape: [4 * H, input], stride: [input, 1]))
            }
            c.storages.append(("hh\(l)", hh))
            c.tensors.append(Tensor(name: "lstm.weight_hh_l\(l)", storage: "hh\(l)", offset: 0, shape: [4 * H, H], stride: [H, 1]))
            c.storages.append(("b\(l)", bih + bhh))
            c.tensors.append(Tensor(name: "lstm.bias_ih_l\(l)", storage: "b\(l)", offset: 0, shape: [4 * H], stride: [1]))
            c.tensors.append(Tensor(name: "lstm.bias_hh_l\(l)", storage: "b\(l)", offset: 4 * H, shape: [4 * H], stride: [1]))
        }
        let w = uniform(H * H), b = uniform(H).map { abs($0) }
        logical["linear.weight"] = ([H, H], w)
        logical["linear.bias"] = ([H], b)
        c.storages.append(("lw", [Float](repeating: 9, count: 7) + w))
        c.tensors.append(Tensor(name: "linear.weight", storage: "lw", offset: 7, shape: [H, H], stride: [H, 1]))
        c.storages.append(("lb", b))
        c.tensors.append(Tensor(name: "linear.bias", storage: "lb", offset: 0, shape: [H], stride: [1]))
        // resemblyzer's checkpoint also holds the GE2E loss's two scalars.
        c.storages.append(("sw", [10]))
        c.tensors.append(Tensor(name: "similarity_weight", storage: "sw", offset: 0, shape: [1], stride: [1]))
        return (c, logical)
    }
}

/// Synthetic speech clips written as 16-bit WAV files.
enum EncoderClips {
    /// `seconds` of synthetic speech at `rate` (two different voices interleaved when `stereo`).
    static func write(
        _ path: String, seconds: Double, rate: Int = 16000, seed: UInt64, pitch: Double = 140,
        stereo: Bool = false, gain: Float = 1
    ) throws {
        let left = SyntheticSpeech.generate(seconds: seconds, sampleRate: rate, seed: seed, pitch: pitch).map { $0 * gain }
        if stereo {
            let right = SyntheticSpeech.generate(seconds: seconds, sampleRate: rate, seed: seed &+ 1000, pitch: pitch * 1.7).map { $0 * gain }
            var interleaved: [Float] = []
            interleaved.reserveCapacity(2 * left.count)
            for i in left.indices {
                interleaved.append(left[i])
                interleaved.append(right[i])
            }
            try AudioWriter.write(interleaved, sampleRate: rate, channels: 2, to: path)
        } else {
            try AudioWriter.write(left, sampleRate: rate, to: path)
        }
    }
}
