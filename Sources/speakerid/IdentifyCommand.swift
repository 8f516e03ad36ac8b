import ArgumentParser
import Foundation
import SpeakerID

struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Name the enrolled speaker of each clip; with --ubm and --threshold, or 'unknown'.",
        discussion: """
        Without a UBM the score is the average per-frame log-likelihood (closed set: the best \
        speaker is always named). With --ubm it is the average log-likelihood ratio against the \
        UBM, and --threshold T answers 'unknown' when the best score is below T. An AUDIO of '-' \
        reads the clip from standard input.
        """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @OptionGroup var background: UBMArguments
    @Option(help: ArgumentHelp("With --ubm: answer 'unknown' when the best score is below this.", valueName: "T"))
    var threshold: Double?
    @Option(help: ArgumentHelp("Speakers listed per clip, best first.", valueName: "n"))
    var top = 5
    @Flag(help: "One JSON object per clip.")
    var json = false
    @Option(help: ArgumentHelp("Long recordings are read in chunks of this many seconds, each normalised on its own, so memory stays bounded (default: 600).", valueName: "s"))
    var chunkSeconds = 600.0
    @Argument(help: "Audio clips (files or folders; '-' for standard input).")
    var clips: [String]

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if !(chunkSeconds >= 1) { throw ValidationError("--chunk-seconds must be at least 1") }
        if threshold != nil && background.ubm == nil { throw ValidationError("--threshold needs --ubm (log-likelihood-ratio scores)") }
    }

    func run() async throws {
        let ubmModel = try background.load()
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let id = try Identifier(models: loaded, ubm: ubmModel, topC: background.topC)
        let sources = try Self.sources(clips)
        let n = top
        let raw = try rawAudio.format()
        let chunk = chunkSeconds
        let results = try await parallelMap(count: sources.count, threads: common.threadCount) { i -> (String, Int, [SpeakerScore]) in
            let r = try id.identifyStreaming(sources[i], raw: raw, chunkSeconds: chunk)
            return (sources[i].description, r.speechFrames, Array(r.ranking.prefix(n)))
        }
        for (name, speechFrames, ranking) in results {
            let best = ranking[0]
            let decision = threshold.map { best.score >= $0 ? best.speaker : "unknown" } ?? best.speaker
            if json {
                var o: [String: Any] = [
                    "file": name, "speaker": decision, "speech_seconds": Double(speechFrames) * id.frontEnd.options.framing.frameShiftMs / 1000,
                    "ranking": ranking.map { ["speaker": $0.speaker, "score": $0.score] }]
                if let threshold { o["threshold"] = threshold }
                print(SpeakerIDCLI.json(o))
            } else {
                print("\(name)\t\(decision)")
                for (i, r) in ranking.enumerated() {
                    print("  \(i + 1). \(r.speaker)\t\(fmt(r.score, 4))")
                }
            }
        }
    }

    /// Files, folders, or '-' for standard input.
    static func sources(_ clips: [String]) throws -> [AudioSource] {
        var out: [AudioSource] = []
        for c in clips {
            if c == "-" {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                out.append(.memory(data, name: "(standard input)"))
            } else {
                out += Corpus.expand([c]).map { AudioSource.file($0) }
            }
        }
        if out.isEmpty { throw CLIError("no audio files found in \(clips.joined(separator: ", "))") }
        return out
    }
}
