import Foundation

/// Speech frames of many recordings, normalised per recording, optionally thinned, in list
/// order: what a background model is trained on.
public struct BackgroundFrames: Sendable {
    /// The frames in memory (empty when they were spilled to a frame file).
    public var matrix: FeatureMatrix
    /// Rows of each usable recording, in order.
    public var recordingRows: [Int] = []
    /// Recordings that gave frames.
    public var usableFiles = 0

    /// Frames already read (a frame cache's).
    public init(matrix: FeatureMatrix, recordingRows: [Int] = [], usableFiles: Int = 0) {
        self.matrix = matrix
        self.recordingRows = recordingRows
        self.usableFiles = usableFiles
    }

    /// Reads `entries` in batches (each file's frames normalised and every `keepEvery`-th kept
    /// at once, appended in file order), so memory holds the kept frames plus one batch; with
    /// `spill`, the frames go to that file instead. With `skipBad`, an unusable file is passed
    /// to `skipped` and left out; otherwise it fails the run. `progress` is called once per
    /// file read.
    public static func load(
        _ entries: [CorpusEntry], frontEnd fe: FrontEnd, raw: RawAudioFormat?, keepEvery: Int, skipBad: Bool,
        threads: Int, spill: FrameFile.Writer?,
        skipped: @escaping @Sendable (Error) -> Void = { _ in },
        progress: @escaping @Sendable () -> Void = {}
    ) async throws -> BackgroundFrames {
        var out = BackgroundFrames(matrix: FeatureMatrix(columns: fe.options.dimension))
        let batch = max(16, 4 * threads)
        let stride = keepEvery, skip = skipBad
        for first in Swift.stride(from: 0, to: entries.count, by: batch) {
            let files = Array(entries[first..<min(first + batch, entries.count)])
            let parts = try await parallelMap(count: files.count, threads: threads) { i -> FeatureMatrix? in
                defer { progress() }
                let f: SpeechFeatures
                do { f = try fe.features(of: files[i].source, raw: raw) } catch {
                    if skip {
                        skipped(error)
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
