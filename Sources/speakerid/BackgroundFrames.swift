import Foundation
import SpeakerID

/// The recordings a background model is trained on (`--corpus DIR[:SPLIT]`, repeatable) and
/// their pooled frames: one reading shared by train-ubm, init-ubm, accumulate and the cluster
/// driver, so every one of them sees the same list in the same order, and the same frames.
struct BackgroundCorpus {
    /// Every recording, corpus after corpus, in each corpus's order.
    let entries: [CorpusEntry]
    /// The list's identity (`CorpusListing`), recorded in statistics files.
    let listing: String
    /// Notes on what the corpora skipped or merged.
    let notes: [String]

    /// Reads each "DIR" or "DIR:SPLIT" (`defaultSplit` for those without one; "all" for every file).
    init(specs: [String], defaultSplit: String) throws {
        var parts: [(root: String, entries: [CorpusEntry])] = []
        var notes: [String] = []
        for spec in specs {
            let (dir, sp) = TrainUBMCommand.corpusAndSplit(spec, defaultSplit: defaultSplit)
            let c = try Corpus(root: dir)
            notes += c.notes
            parts.append((dir, try c.entries(split: sp == "all" ? nil : sp)))
        }
        entries = parts.flatMap(\.entries)
        listing = CorpusListing.checksum(parts)
        self.notes = notes
    }
}

/// Speech frames of recordings, normalised per recording, optionally thinned, in list order.
struct BackgroundFrames {
    /// The frames in memory (empty when they were spilled to a frame file).
    var matrix: FeatureMatrix
    /// Rows of each usable recording, in order.
    var recordingRows: [Int] = []
    var usableFiles = 0

    /// Reads `entries` in batches (each file's frames normalised and every `keepEvery`-th kept
    /// at once, appended in file order), so memory holds the kept frames plus one batch; with
    /// `spill`, the frames go to that file instead. With `skipBad`, an unusable file is
    /// reported and left out; otherwise it fails the run.
    static func load(_ entries: [CorpusEntry], frontEnd fe: FrontEnd, raw: RawAudioFormat?, keepEvery: Int, skipBad: Bool,
                     threads: Int, quiet: Bool, spill: FrameFile.Writer?) async throws -> BackgroundFrames {
        let progress = Progress(total: entries.count, label: "features", quiet: quiet)
        var out = BackgroundFrames(matrix: FeatureMatrix(columns: fe.options.dimension))
        let batch = max(16, 4 * threads)
        let stride = keepEvery, skip = skipBad
        for first in Swift.stride(from: 0, to: entries.count, by: batch) {
            let files = Array(entries[first..<min(first + batch, entries.count)])
            let parts = try await parallelMap(count: files.count, threads: threads) { i -> FeatureMatrix? in
                defer { progress.tick() }
                let f: SpeechFeatures
                do { f = try fe.features(of: files[i].source, raw: raw) } catch {
                    if skip {
                        Console.warn("skipped: \(error)")
                        return nil
                    }
                    throw error
                }
                let x = fe.normalized(f.frames)
                return stride > 1 ? x.selecting(Array(Swift.stride(from: 0, to: x.rows, by: stride))) : x
            }
            for p in parts {
                guard let p else { continue }
                if let spill { try spill.append(p) } else { out.matrix.append(p) }
                out.recordingRows.append(p.rows)
                out.usableFiles += 1
            }
        }
        return out
    }
}
