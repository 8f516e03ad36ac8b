import ArgumentParser
import Foundation
import SpeakerID

struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Name the enrolled speaker of each clip (highest average log-likelihood).")

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @Option(help: ArgumentHelp("Speakers listed per clip, best first.", valueName: "n"))
    var top = 5
    @Flag(help: "One JSON object per clip.")
    var json = false
    @Argument(help: "Audio clips (files or folders).")
    var clips: [String]

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
    }

    func run() async throws {
        let loaded = try ModelStore(directory: models).loadAll()
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let id = try Identifier(models: loaded)
        let files = Corpus.expand(clips)
        if files.isEmpty { throw CLIError("no audio clips given") }
        let n = top
        let raw = try rawAudio.format()
        let results = try await parallelMap(count: files.count, threads: common.threadCount) { i -> (SpeechFeatures, [SpeakerScore]) in
            let f = try id.frontEnd.features(of: .file(files[i]), raw: raw)
            return (f, Array(id.identify(f).prefix(n)))
        }
        for (f, ranking) in results {
            if json {
                print(SpeakerIDCLI.json([
                    "file": f.name, "speaker": ranking[0].speaker, "speech_seconds": Double(f.frames.rows) / 100,
                    "ranking": ranking.map { ["speaker": $0.speaker, "score": $0.score] }]))
            } else {
                print("\(f.name)\t\(ranking[0].speaker)")
                for (i, r) in ranking.enumerated() {
                    print("  \(i + 1). \(r.speaker)\t\(fmt(r.score, 4))")
                }
            }
        }
    }
}
