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
        UBM, and --threshold T answers 'unknown' when the best score is below T. With \
        --tnorm-models DIR the ranking stays by log-likelihood ratio and the threshold applies to \
        the best speaker's T-normed score. An AUDIO of '-' reads the clip from standard input.
        """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @OptionGroup var background: UBMArguments
    @Option(help: ArgumentHelp("With --ubm: answer 'unknown' when the best score is below this.", valueName: "T"))
    var threshold: Double?
    @Option(help: ArgumentHelp("Speakers listed per clip, best first.", valueName: "n"))
    var top = 5
    @OptionGroup var normalization: TNormArguments
    @OptionGroup var input: ClipArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if threshold != nil && background.ubm == nil { throw ValidationError("--threshold needs --ubm (log-likelihood-ratio scores)") }
        if normalization.tnormModels != nil && background.ubm == nil { throw ValidationError("--tnorm-models needs --ubm") }
    }

    func run() async throws {
        let ubmModel = try background.load()
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let cohort = try normalization.load(ubm: ubmModel, enrolled: loaded.map(\.speaker))
        // One scorer for the enrolled and the cohort models: the UBM's top-C search is shared.
        let id = try Identifier(models: loaded + (cohort?.models ?? []), ubm: ubmModel, topC: background.topC)
        let enrolled = loaded.map(\.speaker), count = loaded.count
        let sources = try input.sources()
        let n = top
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let options = id.frontEnd.options
        // (file, speech frames, ranking with T-normed scores when asked, warning)
        let results = try await parallelMap(count: sources.count, threads: common.threadCount) { i -> (String, Int, [(SpeakerScore, Double?)], String?) in
            let r = try id.scoreStreaming(sources[i], raw: raw, chunkSeconds: chunk)
            let scores = Array(r.scores[..<count])
            let normalized = cohort.map { $0.tnorm.normalize(scores, cohortScores: Array(r.scores[count...])) }
            let byName = Dictionary(uniqueKeysWithValues: zip(enrolled, normalized ?? scores))
            let ranking = Identifier.rank(speakers: enrolled, scores: scores).prefix(n).map { ($0, normalized == nil ? nil : byName[$0.speaker]) }
            let name = sources[i].description
            let warning = options.narrowBandWarning(name, sourceRate: r.sourceSampleRate)
            return (name, r.speechFrames, ranking, warning)
        }
        for (name, speechFrames, ranking, warning) in results {
            if let warning, !common.quiet { Console.warn("warning: " + warning) }
            let (best, bestNormalized) = ranking[0]
            let decision = threshold.map { (bestNormalized ?? best.score) >= $0 ? best.speaker : "unknown" } ?? best.speaker
            if input.json {
                var o: [String: Any] = [
                    "file": name, "speaker": decision, "speech_seconds": Double(speechFrames) * id.frontEnd.options.framing.frameShiftMs / 1000,
                    "ranking": ranking.map { r, t -> [String: Any] in
                        var e: [String: Any] = ["speaker": r.speaker, "score": r.score]
                        if let t { e["tnorm_score"] = t }
                        return e
                    }]
                if let threshold { o["threshold"] = threshold }
                if cohort != nil { o["score_normalization"] = "tnorm" }
                if let warning { o["warning"] = warning }
                print(SpeakerIDCLI.json(o))
            } else {
                print("\(name)\t\(decision)")
                for (i, (r, t)) in ranking.enumerated() {
                    print("  \(i + 1). \(r.speaker)\t\(fmt(r.score, 4))" + (t.map { "\tT-norm \(fmt($0, 4))" } ?? ""))
                }
            }
        }
    }
}
