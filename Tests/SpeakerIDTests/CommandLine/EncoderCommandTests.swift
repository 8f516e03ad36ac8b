import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// `speakerid encoder convert|embed` and `enroll --encoder`: what they write, what they refuse
/// (exit 1, one line naming the file, nothing written), and d-vectors that are exact however a
/// speaker is enrolled. A small encoder with random weights stands in for resemblyzer's where
/// the weights do not matter, so most of these run without the wheel.
struct EncoderCommandTests {
    /// The d-vector of each speaker in a models folder, read from the model files.
    static func dvectors(_ folder: String) throws -> [String: SpeakerDVector] {
        var out: [String: SpeakerDVector] = [:]
        for path in try ModelStore(directory: folder).modelPaths() {
            let m = try ModelStore.load(path: path)
            out[m.speaker] = m.dvector
        }
        return out
    }

    static func files(_ dir: TempDir) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.sorted() ?? [] }

    /// The tool run with `environment` added to the test's own (as CLI.run runs it otherwise).
    static func run(_ args: [String], environment: [String: String]) throws -> CLI.Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        p.environment = CLI.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLI.Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// An environment in which no speaker encoder is found at the default place.
    static func withoutDefaultEncoder(_ dir: TempDir) throws -> [String: String] {
        let home = dir.file("empty-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return ["SPEAKERID_ENCODER": dir.file("no-such.encoder"), "HOME": home, "XDG_DATA_HOME": home]
    }

    @Test func convertRefusesWhatItCannotConvert() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let wav = dir.file("speech.wav")
        try AudioWriter.write(sine(300, seconds: 1, rate: 16000), sampleRate: 16000, to: wav)
        let notZip = dir.file("fake.whl")
        try Data("not a zip".utf8).write(to: URL(fileURLWithPath: notZip))
        try FileManager.default.createDirectory(atPath: dir.file("folder.pt"), withIntermediateDirectories: true)
        let before = Self.files(dir)
        let cases: [(String, String)] = [
            (wav, "not resemblyzer's pretrained.pt"), (notZip, "not a wheel"),
            (dir.file("missing.pt"), "no such file"), (dir.file("missing.whl"), "missing.whl"),
            (dir.file("folder.pt"), "folder.pt"),
        ]
        for (source, says) in cases {
            let r = try CLI.run(["encoder", "convert", source, "--out", dir.file("out.encoder")])
            #expect(
                r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(source) && r.stderr.contains(says),
                "\(source): exit \(r.status): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(Self.files(dir) == before, "nothing written")
    }

    // A zip that is not resemblyzer's wheel (python3's zipfile makes it).
    @Test(.enabled(if: Python.available, "needs python3"))
    func convertRefusesAWheelWithoutTheWeights() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let whl = dir.file("Other-1.0-py3-none-any.whl")
        let made = try Python.run([
            "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], 'w'); z.writestr('other/__init__.py', ''); z.close()", whl,
        ])
        try #require(made.status == 0, "\(made.stderr)")
        let r = try CLI.run(["encoder", "convert", whl, "--out", dir.file("out.encoder")])
        #expect(
            r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(whl)
                && r.stderr.contains("no resemblyzer/pretrained.pt"), "\(r.stderr)")
        #expect(Self.files(dir) == ["Other-1.0-py3-none-any.whl"])
    }

    @Test func convertWritesTheEncoderAndItsLicenceButNeverOverItsSource() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let pt = dir.file("pretrained.pt")
        let source = LegacyCheckpoint.randomResemblyzer(seed: 4).0.bytes()
        try Data(source).write(to: URL(fileURLWithPath: pt))
        let onto = try CLI.run(["encoder", "convert", pt, "--out", pt])
        #expect(onto.status == 1 && onto.stderr.split(separator: "\n").count == 1 && onto.stderr.contains("source"), "\(onto.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: pt)) == Data(source), "the source is untouched")
        // The same file by another name is the source too.
        let viaDot = (dir.path as NSString).appendingPathComponent("./pretrained.pt")
        #expect(try CLI.run(["encoder", "convert", pt, "--out", viaDot]).status == 1)
        #expect(Self.files(dir) == ["pretrained.pt"])

        let out = dir.file("random.encoder")
        let r = try CLI.run(["encoder", "convert", pt, "--out", out])
        #expect(r.status == 0 && r.stdout.contains(out), "\(r.stderr)")
        #expect(Self.files(dir) == ["pretrained.pt", "random.LICENSE", "random.encoder"])
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: out))) == EncoderFile.fromResemblyzerCheckpoint(source, sourceName: pt))
        let licence = try String(contentsOfFile: dir.file("random.LICENSE"), encoding: .utf8)
        #expect(licence.contains("Apache License 2.0"))
        // Converting again over it: the same bytes.
        #expect(try CLI.run(["encoder", "convert", pt, "--out", out]).status == 0)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: out))) == EncoderFile.fromResemblyzerCheckpoint(source, sourceName: pt))
    }

    @Test func embedPrintsOneUnitVectorPerFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let encoder = try EncoderResources.writeSmallEncoder(to: dir.file("small.encoder"))
        let identity = try SpeakerEncoder.load(path: encoder).identity
        let a = dir.file("a.wav"), b = dir.file("b8k.wav"), silent = dir.file("silent.wav")
        try EncoderClips.write(a, seconds: 3, seed: 1)
        try EncoderClips.write(b, seconds: 2, rate: 8000, seed: 2, pitch: 220)
        try AudioWriter.write([Float](repeating: 0, count: 32000), sampleRate: 16000, to: silent)
        let r = try CLI.run(["encoder", "embed", "--encoder", encoder, a, silent, b])
        #expect(r.status == 1, "a file that failed: exit 1")
        let warnings = r.stderr.split(separator: "\n")
        #expect(warnings.count == 1 && warnings[0].contains(silent) && warnings[0].contains("of speech after trimming silence"), "\(r.stderr)")
        let lines = CLI.jsonLines(r.stdout)
        #expect(lines.compactMap { $0["file"] as? String } == [a, b], "the other files are embedded")
        let model = try SpeakerEncoder.load(path: encoder)
        for line in lines {
            let file = try #require(line["file"] as? String)
            let v = try #require(line["embedding"] as? [Double])
            #expect(v.count == 16 && abs(v.reduce(0) { $0 + $1 * $1 } - 1) < 1e-6)
            #expect(line["encoder"] as? String == identity.checksum)
            let e = try model.embedding(of: .file(file))
            #expect(zip(v, e.vector).allSatisfy { abs($0 - Double($1)) < 1e-7 }, "\(file): the library's embedding")
            #expect(line["windows"] as? Int == e.windows && abs((line["speech_seconds"] as? Double ?? -1) - e.speechSeconds) < 1e-9)
            #expect(e.speechSeconds > 0.5 && e.speechSeconds <= 3)
        }
        // --raw: every sample, resampled to 16 kHz.
        let raw = CLI.jsonLines(try CLI.run(["encoder", "embed", "--encoder", encoder, "--raw", a, b]).stdout)
        #expect(raw.count == 2)
        #expect(abs((raw.first?["speech_seconds"] as? Double ?? 0) - 3) < 1e-9)
        #expect(abs((raw.last?["speech_seconds"] as? Double ?? 0) - 2) < 0.01, "8 kHz, 2 s: \(raw.last?["speech_seconds"] ?? "none")")
        #expect(raw.first?["windows"] as? Int == SpeakerEncoder.windowStarts(samples: 48000).count)
    }

    @Test func embedRefusesBadOptionsAndMissingEncoders() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let encoder = try EncoderResources.writeSmallEncoder(to: dir.file("small.encoder"))
        let a = dir.file("a.wav")
        try EncoderClips.write(a, seconds: 2, seed: 3)
        for t in ["4", "91", "nan", "-40"] {
            let r = try CLI.run(["encoder", "embed", "--encoder", encoder, "--speech-threshold", t, a])
            #expect(r.status == 64 && r.stdout.isEmpty, "--speech-threshold \(t): exit \(r.status)")
        }
        #expect(try CLI.run(["encoder", "embed", "--encoder", encoder, "--speech-threshold", "60", a]).status == 0)
        let missing = try CLI.run(["encoder", "embed", "--encoder", dir.file("none.encoder"), a])
        #expect(
            missing.status == 1 && missing.stderr.split(separator: "\n").count == 1 && missing.stderr.contains("none.encoder")
                && missing.stderr.contains("speakerid encoder fetch"), "\(missing.stderr)")
        let notEncoder = try CLI.run(["encoder", "embed", "--encoder", a, a])
        #expect(notEncoder.status == 1 && notEncoder.stderr.contains("not a SpeakerID speaker encoder"), "\(notEncoder.stderr)")
        var damaged = EncoderResources.smallEncoderFile()
        damaged[damaged.count / 2] ^= 4
        try Data(damaged).write(to: URL(fileURLWithPath: dir.file("damaged.encoder")))
        let corrupt = try CLI.run(["encoder", "embed", "--encoder", dir.file("damaged.encoder"), a])
        #expect(
            corrupt.status == 1 && corrupt.stderr.contains("checksum mismatch") && corrupt.stderr.split(separator: "\n").count == 1,
            "\(corrupt.stderr)")
    }

    // Enrolling two files at once, or one and then --add the other: the same d-vector, to the
    // bit; and the sum of the library's embeddings of the two files.
    @Test func enrollingInStepsGivesTheSameDVector() throws {
        let f = try UBMFixture(enrolAdapted: false)
        defer { f.dir.cleanup() }
        let encoder = try EncoderResources.writeSmallEncoder(to: f.dir.file("small.encoder"))
        let once = f.dir.file("once"), steps = f.dir.file("steps")
        let first = f.clip("mid", 0), second = f.clip("mid", 1)
        let r1 = try CLI.run(["enroll", "--models", once, "--ubm", f.ubm, "--encoder", encoder, "--speaker", "mid", first, second, "-q"])
        try #require(r1.status == 0, "\(r1.stderr)")
        let r2 = try CLI.run(["enroll", "--models", steps, "--ubm", f.ubm, "--encoder", encoder, "--speaker", "mid", first, "-q"])
        try #require(r2.status == 0, "\(r2.stderr)")
        let oneFile = try #require(try Self.dvectors(steps)["mid"])
        #expect(oneFile.files == 1)
        let r3 = try CLI.run(["enroll", "--models", steps, "--ubm", f.ubm, "--encoder", encoder, "--speaker", "mid", "--add", second, "-q"])
        try #require(r3.status == 0, "\(r3.stderr)")
        let a = try #require(try Self.dvectors(once)["mid"])
        let b = try #require(try Self.dvectors(steps)["mid"])
        #expect(a.sum.map(\.bitPattern) == b.sum.map(\.bitPattern))
        #expect(a == b && a.files == 2)
        let model = try SpeakerEncoder.load(path: encoder)
        let expected = try SpeakerDVector(embeddings: [try model.embedding(of: .file(first)), try model.embedding(of: .file(second))])
        #expect(a == expected)
        #expect(a.encoder == model.identity)
        // Adding a file the model already holds changes neither the GMM's count nor the d-vector.
        let again = try CLI.run(["enroll", "--models", steps, "--ubm", f.ubm, "--encoder", encoder, "--speaker", "mid", "--add", first, second])
        #expect(again.status == 1 && again.stderr.contains("already in the model"), "\(again.stderr)")
        #expect(try Self.dvectors(steps)["mid"] == expected)
        // Another encoder's audio cannot join this d-vector.
        let other = try EncoderResources.writeSmallEncoder(to: f.dir.file("other.encoder"), seed: 2)
        let third = f.clip("mid", 2)
        let refused = try CLI.run(["enroll", "--models", steps, "--ubm", f.ubm, "--encoder", other, "--speaker", "mid", "--add", third])
        #expect(refused.status == 1 && refused.stderr.contains("another speaker encoder") && refused.stderr.contains("\"mid\""), "\(refused.stderr)")
        #expect(try Self.dvectors(steps)["mid"] == expected, "the model is unchanged")
        // Every speaker of a corpus gets one.
        let corpus = f.dir.file("corpus-models")
        let c = try CLI.run([
            "enroll", "--models", corpus, "--corpus", f.dir.file("corpus"), "--split", "all", "--ubm", f.ubm, "--encoder", encoder, "-q",
        ])
        try #require(c.status == 0, "\(c.stderr)")
        let all = try Self.dvectors(corpus)
        #expect(all.count == 3 && all.values.allSatisfy { $0.files == 3 && $0.encoder == model.identity }, "\(all.keys.sorted())")
    }

    // `enroll --add` with no speaker encoder (none named, none at the default place) to a model
    // that has a d-vector: refused before any work, in one line, the model file untouched (it
    // would otherwise be written without its d-vector). A model without one takes audio as before.
    @Test func addingWithoutTheEncoderKeepsTheDVector() throws {
        let f = try UBMFixture(enrolAdapted: false)
        defer { f.dir.cleanup() }
        let encoder = try EncoderResources.writeSmallEncoder(to: f.dir.file("small.encoder"))
        let noEncoder = try Self.withoutDefaultEncoder(f.dir)
        let models = f.dir.file("models"), plain = f.dir.file("plain")
        let first = f.clip("mid", 0), second = f.clip("mid", 1)
        let r1 = try CLI.run(["enroll", "--models", models, "--ubm", f.ubm, "--encoder", encoder, "--speaker", "mid", first, "-q"])
        try #require(r1.status == 0, "\(r1.stderr)")
        let path = ModelStore(directory: models).path(for: try SpeakerName("mid"))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        try #require(try Self.dvectors(models)["mid"] != nil)

        let refused = try Self.run(["enroll", "--models", models, "--ubm", f.ubm, "--speaker", "mid", "--add", second], environment: noEncoder)
        let lines = refused.stderr.split(separator: "\n")
        #expect(
            refused.status == 1 && lines.count == 1 && refused.stderr.contains(path) && refused.stderr.contains("\"mid\" has a d-vector")
                && refused.stderr.contains("--encoder"), "exit \(refused.status): \(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the model file is unchanged")
        #expect(try FileManager.default.contentsOfDirectory(atPath: models).filter { !$0.hasPrefix(".") } == ["mid.gmm"], "nothing else written")
        // With the encoder named, the same addition goes through and keeps the d-vector.
        let added = try Self.run(
            ["enroll", "--models", models, "--ubm", f.ubm, "--encoder", encoder, "--speaker", "mid", "--add", second, "-q"],
            environment: noEncoder)
        #expect(added.status == 0, "\(added.stderr)")
        #expect(try Self.dvectors(models)["mid"]?.files == 2)

        // A model enrolled without the encoder has no d-vector to lose: audio is added as before.
        let p1 = try Self.run(["enroll", "--models", plain, "--ubm", f.ubm, "--speaker", "mid", first, "-q"], environment: noEncoder)
        try #require(p1.status == 0, "\(p1.stderr)")
        let p2 = try Self.run(["enroll", "--models", plain, "--ubm", f.ubm, "--speaker", "mid", "--add", second, "-q"], environment: noEncoder)
        #expect(p2.status == 0, "\(p2.stderr)")
        #expect(try Self.dvectors(plain)["mid"] == nil)
    }
}
