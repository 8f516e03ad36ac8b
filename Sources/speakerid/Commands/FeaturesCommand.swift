import ArgumentParser
import Foundation
import SpeakerID

struct FeaturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Print the MFCC feature frames of audio files (speech frames, normalised).",
        discussion: """
            Frames are those a model would see: the VAD's speech frames, after per-utterance \
            normalisation. Text output starts with '#' header lines naming the file and every option.
            """
    )

    @Argument(help: "Audio files or folders.")
    var audio: [String]

    @Flag(help: "One JSON object per file: {\"file\", \"options\", \"columns\", \"frames\"}.")
    var json = false
    @Flag(help: "Comma-separated values (RFC 4180): one header row (file, frame, then the coefficients), one row per frame.")
    var csv = false
    @Flag(help: "Print duration, sample rate, frames and frames kept by the VAD instead of frames.")
    var summary = false
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
    }

    func run() async throws {
        let options = try frontEnd.apply(to: FrontEndOptions())
        let fe = try FrontEnd(options: options)
        let inputs = Corpus.expandInputs(audio)
        let files = inputs.files
        if files.isEmpty { throw CLIError("no audio files found in \(audio.joined(separator: ", "))") }
        if !common.quiet { for n in inputs.notes { Console.warn("note: " + n) } }
        if let output {
            try checkOutputFile(output, option: "--output")
            try OutputLocation.refuseOverwriting(output, inputs: files.map { ("an input", $0) })
        }
        let raw = try rawAudio.format()
        var out = OutputSink(path: output)
        var failed = 0
        if summary {
            // Streams each file keeping only frame powers: memory does not grow with length.
            let results = try await batchMap(count: files.count, threads: common.threadCount) { i in
                try fe.summary(of: .file(files[i]), raw: raw)
            }
            for r in results {
                switch r {
                case .failed(let m):
                    Console.warn(m)
                    failed += 1
                case .done(let f):
                    let info: [String: Any] = [
                        "file": f.name, "duration_seconds": f.duration, "source_sample_rate": f.sourceSampleRate,
                        "channels": f.sourceChannels, "frames": f.frames,
                        "speech_frames": f.speechFrames, "speech_seconds": Double(f.speechFrames) * options.framing.frameShiftMs / 1000,
                        "kept_fraction": f.keptFraction,
                    ]
                    if json {
                        out.write(SpeakerIDCLI.json(info) + "\n")
                    } else {
                        out.write(
                            "\(f.name): \(fmt(f.duration, 3)) s at \(f.sourceSampleRate) Hz, \(f.sourceChannels) channel(s); \(f.frames) frames, \(f.speechFrames) kept by the VAD (\(fmt(100 * f.keptFraction, 1))%)\n"
                        )
                    }
                }
            }
            try out.finish()
            try finishBatch(failed: failed, total: files.count, skipBad: false, noun: "file")
            return
        }
        let results = try await batchMap(count: files.count, threads: common.threadCount) { i in
            try fe.features(of: .file(files[i]), raw: raw)
        }
        let optionsJSON = try JSONSerialization.jsonObject(with: SpeakerIDCLI.snakeCaseEncoder().encode(options))
        let columns = Self.columnNames(options)
        if csv { out.write((["file", "frame"] + columns).joined(separator: ",") + "\n") }
        for r in results {
            guard case .done(let f) = r else {
                if case .failed(let m) = r { Console.warn(m) }
                failed += 1
                continue
            }
            let m = fe.normalized(f.frames)
            if json {
                var rows: [[Double]] = []
                rows.reserveCapacity(m.rows)
                for r in 0..<m.rows { rows.append(m.row(r).map { Double($0) }) }
                out.write(SpeakerIDCLI.json(["file": f.name, "options": optionsJSON, "columns": columns, "frames": rows]) + "\n")
            } else if csv {
                // RFC 4180: one header row for all files, the file name quoted when it must be.
                let name = Self.csvField(f.name)
                var text = ""
                for r in 0..<m.rows {
                    text += name + ",\(r)," + m.row(r).map { String(format: "%.6g", $0) }.joined(separator: ",") + "\n"
                }
                out.write(text)
            } else {
                out.write("# file: \(f.name)\n# options: \(SpeakerIDCLI.json(optionsJSON))\n")
                out.write("# " + columns.joined(separator: " ") + "\n")
                var text = ""
                for r in 0..<m.rows {
                    text += m.row(r).map { String(format: "%.6g", $0) }.joined(separator: " ")
                    text += "\n"
                }
                out.write(text)
            }
        }
        try out.finish()
        try finishBatch(failed: failed, total: files.count, skipBad: false, noun: "file")
    }

    /// A CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func columnNames(_ o: FrontEndOptions) -> [String] {
        var s: [String] = []
        switch o.cepstral.energy {
        case .none: break
        case .c0: s.append("c0")
        case .logEnergy: s.append("logE")
        }
        s += (1...o.cepstral.coefficients).map { "c\($0)" }
        var all = s
        if o.deltas.order >= 1 { all += s.map { "d_" + $0 } }
        if o.deltas.order >= 2 { all += s.map { "dd_" + $0 } }
        return all
    }
}
