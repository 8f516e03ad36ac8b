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
    @Flag(help: "Comma-separated values with a header row.")
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
        let files = Corpus.expand(audio)
        if files.isEmpty { throw CLIError("no audio files found in \(audio.joined(separator: ", "))") }
        let raw = try rawAudio.format()
        let results = try await parallelMap(count: files.count, threads: common.threadCount) { i in
            try fe.features(of: .file(files[i]), raw: raw)
        }
        var out = OutputSink(path: output)
        let optionsJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options))
        let columns = Self.columnNames(options)
        for f in results {
            if summary {
                let info: [String: Any] = ["file": f.name, "duration": f.duration, "source_sample_rate": f.sourceSampleRate,
                                           "channels": f.sourceChannels, "frames": f.totalFrames,
                                           "speech_frames": f.frames.rows, "kept_fraction": f.keptFraction]
                if json { out.write(SpeakerIDCLI.json(info) + "\n") } else {
                    out.write("\(f.name): \(fmt(f.duration, 3)) s at \(f.sourceSampleRate) Hz, \(f.sourceChannels) channel(s); \(f.totalFrames) frames, \(f.frames.rows) kept by the VAD (\(fmt(100 * f.keptFraction, 1))%)\n")
                }
                continue
            }
            let m = fe.normalized(f.frames)
            if json {
                var rows: [[Double]] = []
                rows.reserveCapacity(m.rows)
                for r in 0..<m.rows { rows.append(m.row(r).map { Double($0) }) }
                out.write(SpeakerIDCLI.json(["file": f.name, "options": optionsJSON, "columns": columns, "frames": rows]) + "\n")
            } else {
                let sep = csv ? "," : " "
                out.write("# file: \(f.name)\n# options: \(SpeakerIDCLI.json(optionsJSON))\n")
                out.write((csv ? "" : "# ") + columns.joined(separator: sep) + "\n")
                var text = ""
                for r in 0..<m.rows {
                    text += m.row(r).map { String(format: "%.6g", $0) }.joined(separator: sep)
                    text += "\n"
                }
                out.write(text)
            }
        }
        try out.finish()
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

enum SpeakerIDCLI {
    static func json(_ v: Any) -> String {
        guard let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: d, as: UTF8.self)
    }
}
