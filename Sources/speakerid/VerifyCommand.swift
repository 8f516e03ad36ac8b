import ArgumentParser
import Foundation
import SpeakerID

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Is this speaker X? The log-likelihood-ratio score and accept/reject per clip.",
        discussion: "The score is the average log-likelihood ratio of the speaker's MAP-adapted model against the UBM; a clip is accepted when it is at least --threshold (default 0: more likely the speaker than anyone). With --tnorm-models DIR the score is T-normed against those models (and the raw ratio is reported as raw_score).")

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @OptionGroup var background: UBMArguments
    @Option(help: ArgumentHelp("The claimed speaker.", valueName: "name"))
    var speaker: String
    @Option(help: ArgumentHelp("Accept when the score is at least this (default: 0).", valueName: "T"))
    var threshold = 0.0
    @OptionGroup var normalization: TNormArguments
    @OptionGroup var input: ClipArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if background.ubm == nil { throw ValidationError("verify needs --ubm FILE: scores are log-likelihood ratios against the UBM") }
    }

    func run() async throws {
        guard let ubm = background.ubm, let ubmModel = try background.load() else { return }
        let name = try SpeakerName(speaker)
        let store = ModelStore(directory: models)
        let model = try store.load(name)
        guard model.ubm?.checksum == ubmModel.checksumHex else {
            throw CLIError("\(store.path(for: name)): was not adapted from \(ubm) (enrol with --ubm \(ubm))")
        }
        _ = try frontEnd.check(against: model.frontEnd)
        let cohort = try normalization.load(ubm: ubmModel, enrolled: [model.speaker])
        let id = try Identifier(models: [model] + (cohort?.models ?? []), ubm: ubmModel, topC: background.topC)
        let sources = try input.sources()
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let options = id.frontEnd.options
        // (file, decision score, raw log-likelihood ratio, warning)
        let results = try await parallelMap(count: sources.count, threads: common.threadCount) { i -> (String, Double, Double, String?) in
            let r = try id.scoreStreaming(sources[i], raw: raw, chunkSeconds: chunk)
            let score = cohort.map { $0.tnorm.normalize([r.scores[0]], cohortScores: Array(r.scores.dropFirst()))[0] } ?? r.scores[0]
            let name = sources[i].description
            let warning = options.narrowBandWarning(name, sourceRate: r.sourceSampleRate)
            return (name, score, r.scores[0], warning)
        }
        for (file, score, rawScore, warning) in results {
            if let warning, !common.quiet { Console.warn("warning: " + warning) }
            let accept = score >= threshold
            if input.json {
                var o: [String: Any] = ["file": file, "speaker": model.speaker, "score": score, "threshold": threshold, "accept": accept]
                if cohort != nil {
                    o["raw_score"] = rawScore
                    o["score_normalization"] = "tnorm"
                }
                if let warning { o["warning"] = warning }
                print(SpeakerIDCLI.json(o))
            } else {
                print("\(file)\t\(model.speaker)\t\(fmt(score, 4))\t\(accept ? "accept" : "reject")")
            }
        }
    }
}
