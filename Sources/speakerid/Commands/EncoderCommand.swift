import ArgumentParser
import Foundation
import SpeakerID
import ZIPFoundation

/// `speakerid encoder`: get resemblyzer's pretrained voice encoder into SpeakerID's own file,
/// and embed recordings with it.
struct EncoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Get the neural speaker encoder (resemblyzer 0.1.4's GE2E weights) and embed recordings with it.",
        discussion: """
            The d-vector system (--system dvector|fusion) runs resemblyzer's pretrained voice encoder in \
            Swift. Its weights ship inside resemblyzer's wheel on PyPI (Apache-2.0); `fetch` downloads \
            that wheel with pip and converts them, `convert` does the same from a wheel or \
            pretrained.pt you have. The default location is $SPEAKERID_ENCODER if set, else \
            ~/.local/share/speakerid/\(EncoderFile.defaultFileName) ($XDG_DATA_HOME/speakerid/ when \
            XDG_DATA_HOME is set); the licence is written beside it.
            """,
        subcommands: [Fetch.self, Convert.self, Embed.self])

    static let wheel = "Resemblyzer-0.1.4-py3-none-any.whl"
    static let wheelSHA256 = "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f"

    static func defaultOutput() throws -> String {
        guard let p = EncoderFile.defaultPath() else {
            throw CLIError("no default place for the encoder: HOME is not set; name one with --out")
        }
        // The default folder is made on first use (a named --out's folder must exist).
        try? FileManager.default.createDirectory(atPath: PathName.parent(of: p), withIntermediateDirectories: true)
        return p
    }

    /// Converts the wheel or pretrained.pt at `source` and writes the encoder (and its licence)
    /// to `out`.
    static func convert(source: String, out: String) throws {
        let pt: [UInt8]
        var licence: String?
        if PathName.pathExtension(source).lowercased() == "whl" {
            let archive: Archive
            do { archive = try Archive(url: URL(fileURLWithPath: source), accessMode: .read) } catch {
                throw CLIError("\(source): not a wheel (zip) that can be read: \(error)")
            }
            func read(_ name: String) throws -> [UInt8]? {
                guard let entry = archive[name] else { return nil }
                guard entry.uncompressedSize < 64 << 20 else { throw CLIError("\(source): \(name) is implausibly large") }
                var data = Data()
                do { _ = try archive.extract(entry, consumer: { data.append($0) }) } catch {
                    throw CLIError("\(source): \(name) cannot be extracted: \(error)")
                }
                return [UInt8](data)
            }
            guard let bytes = try read("resemblyzer/pretrained.pt") else {
                throw CLIError("\(source): no resemblyzer/pretrained.pt inside: not resemblyzer's wheel")
            }
            pt = bytes
            licence = try read("Resemblyzer-0.1.4.dist-info/LICENSE").map { String(decoding: $0, as: UTF8.self) }
        } else {
            guard FileSystem.isRegularFile(source), let data = FileManager.default.contents(atPath: source) else {
                throw CLIError("\(source): no such file")
            }
            pt = [UInt8](data)
        }
        let file = try EncoderFile.fromResemblyzerCheckpoint(pt, sourceName: source)
        try OutputLocation.prepareFile(out)
        let target = out
        try AtomicFile.write(file, to: target)
        let note = """
            \(PathName.lastComponent(target)): the weights of resemblyzer 0.1.4's voice encoder \
            (https://github.com/resemble-ai/Resemblyzer, Corentin Jemine and Resemble AI), converted \
            by speakerid encoder. Licensed under the Apache License 2.0, reproduced below when \
            converted from the wheel; otherwise see https://www.apache.org/licenses/LICENSE-2.0.

            """ + (licence ?? "")
        try AtomicFile.write(Array(note.utf8), to: PathName.deletingExtension(target) + ".LICENSE")
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download resemblyzer 0.1.4's wheel with pip (hash pinned) and convert its encoder.",
            discussion:
                "Needs python3 with pip and access to PyPI (or a pip configured with a mirror). Does nothing when the encoder is already there and intact."
        )

        @Option(help: "Where to write the encoder (default: the default location, see `speakerid encoder --help`).")
        var out: String?

        func run() throws {
            let target = try out ?? EncoderCommand.defaultOutput()
            if FileSystem.isRegularFile(target), let meta = try? EncoderFile.metadata(ofFileAt: target), meta.name == "resemblyzer-0.1.4" {
                print("\(target): already there (\(meta.name))")
                return
            }
            var template = Array((NSTemporaryDirectory() + "/speakerid-encoder-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else { throw CLIError("cannot make a temporary folder") }
            let work = String(cString: made)
            defer { try? FileManager.default.removeItem(atPath: work) }
            let requirements = PathName.join(work, "requirements.txt")
            try AtomicFile.write(Array("resemblyzer==0.1.4 --hash=sha256:\(EncoderCommand.wheelSHA256)\n".utf8), to: requirements)
            let pip = Process()
            pip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            pip.arguments = [
                "python3", "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                "--require-hashes", "-r", requirements, "-d", work,
            ]
            pip.standardOutput = FileHandle.standardError
            do { try pip.run() } catch { throw CLIError("cannot run python3 -m pip: \(error)") }
            pip.waitUntilExit()
            guard pip.terminationStatus == 0 else {
                throw CLIError(
                    "pip could not download resemblyzer 0.1.4 (exit \(pip.terminationStatus)); with a wheel at hand: speakerid encoder convert WHEEL --out FILE"
                )
            }
            try EncoderCommand.convert(source: PathName.join(work, EncoderCommand.wheel), out: target)
            print("\(target): resemblyzer 0.1.4's voice encoder (Apache-2.0, licence beside it)")
        }
    }

    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert resemblyzer 0.1.4's wheel or its pretrained.pt into a SpeakerID encoder file, offline.")

        @Argument(help: "Resemblyzer-0.1.4-py3-none-any.whl, or the pretrained.pt inside it.")
        var source: String
        @Option(help: "Where to write the encoder (default: the default location).")
        var out: String?

        func run() throws {
            let target = try out ?? EncoderCommand.defaultOutput()
            try OutputLocation.refuseOverwriting(target, inputs: [("the source", source)])
            try EncoderCommand.convert(source: source, out: target)
            print("\(target): converted from \(source)")
        }
    }

    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the d-vector of each recording (JSON lines: file, embedding, speech_seconds, windows).")

        @Option(help: "The encoder file (default: the default location).")
        var encoder: String?
        @Flag(help: "Embed the waveform as read: no level normalisation, no silence trimming.")
        var raw = false
        @Option(
            parsing: .unconditional,
            help: ArgumentHelp("Silence trimming: 30-ms windows more than this many dB below the loudest count as silence (5-90).", valueName: "dB"))
        var speechThreshold: Double = EncoderPreprocessing().speechThresholdDB

        func validate() throws {
            if !(5...90).contains(speechThreshold) { throw ValidationError("--speech-threshold must be between 5 and 90 dB") }
        }
        @Argument(help: "Audio files.")
        var files: [String]

        func run() throws {
            let encoderPath = try encoder ?? EncoderCommand.defaultOutput()
            let model = try SpeakerEncoder.load(path: encoderPath)
            var preprocessing = EncoderPreprocessing()
            preprocessing.speechThresholdDB = speechThreshold
            if raw {
                preprocessing.trimSilence = false
                preprocessing.targetDBFS = -.infinity
            }
            var failed = 0
            for file in files {
                do {
                    let e = try model.embedding(of: .file(file), preprocessing: preprocessing)
                    print(
                        SpeakerIDCLI.json([
                            "file": file, "embedding": e.vector.map(Double.init), "speech_seconds": e.speechSeconds,
                            "windows": e.windows, "encoder": e.encoder.checksum,
                        ]))
                } catch {
                    Console.warn("\(error)")
                    failed += 1
                }
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
