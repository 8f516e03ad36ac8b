import Foundation
import SpeakerID

extension BackgroundArguments {
    /// The speech frames of `entries` as --keep-every and --skip-bad ask (`BackgroundFrames.load`),
    /// with the CLI's progress lines and a warning for each skipped file.
    func loadFrames(
        _ entries: [CorpusEntry], frontEnd fe: FrontEnd, raw: RawAudioFormat?, threads: Int, quiet: Bool,
        spill: FrameFile.Writer?
    ) async throws -> BackgroundFrames {
        let progress = Progress(total: entries.count, label: "features", quiet: quiet)
        return try await BackgroundFrames.load(
            entries, frontEnd: fe, raw: raw, keepEvery: keepEvery, skipBad: skipBad, threads: threads,
            spill: spill, skipped: { Console.warn("skipped: \($0)") }, progress: { progress.tick() })
    }
}
