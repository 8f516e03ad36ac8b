import Foundation
import SpeakerID

extension BackgroundFrames {
    /// `load` with the CLI's progress lines and a warning for each skipped file.
    static func load(_ entries: [CorpusEntry], frontEnd fe: FrontEnd, raw: RawAudioFormat?, keepEvery: Int, skipBad: Bool,
                     threads: Int, quiet: Bool, spill: FrameFile.Writer?) async throws -> BackgroundFrames {
        let progress = Progress(total: entries.count, label: "features", quiet: quiet)
        return try await load(entries, frontEnd: fe, raw: raw, keepEvery: keepEvery, skipBad: skipBad, threads: threads, spill: spill,
                              skipped: { Console.warn("skipped: \($0)") }, progress: { progress.tick() })
    }
}
