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
    @OptionGroup var input: ClipArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if threshold != nil && background.ubm == nil { throw ValidationError("--threshold needs --ubm (log-likelihood-ratio scores)") }
    }

    func run() async throws {
        let ubmModel = try background.load()
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let id = try Identifier(models: loaded, ubm: ubmModel, topC: background.topC)
        let sources = try input.sources()
        let n = top
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let options = id.frontEnd.options
        let results = try await parallelMap(count: sources.count, threads: common.threadCount) { i -> (String, Int, [SpeakerScore], String?) in
            let r = try id.identifyStreaming(sources[i], raw: raw, chunkSeconds: chunk)
            let name = sources[i].description
            let warning = options.narrowBandWarning(name, sourceRate: r.sourceSampleRate)
            return (name, r.speechFrames, Array(r.ranking.prefix(n)), warning)
        }
        for (name, speechFrames, ranking, warning) in results {
            if let warning, !common.quiet { Console.warn("warning: " + warning) }
            let best = ranking[0]
            let decision = threshold.map { best.score >= $0 ? best.speaker : "unknown" } ?? best.speaker
            if input.json {
                var o: [String: Any] = [
                    "file": name, "speaker": decision, "speech_seconds": Double(speechFrames) * id.frontEnd.options.framing.frameShiftMs / 1000,
                    "ranking": ranking.map { ["speaker": $0.speaker, "score": $0.score] }]
                if let threshold { o["threshold"] = threshold }
                if let warning { o["warning"] = warning }
                print(SpeakerIDCLI.json(o))
            } else {
                print("\(name)\t\(decision)")
                for (i, r) in ranking.enumerated() {
                    print("  \(i + 1). \(r.speaker)\t\(fmt(r.score, 4))")
                }
            }
        }
    }
}
