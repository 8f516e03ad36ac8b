/// Frames of several recordings, one after another, with the number of rows of each: what
/// `train-ubm` and `accumulate` hand to EM, so that EM cuts its statistics pieces at the
/// recordings' boundaries (see `FrameSource.recordingRows`) and a recording contributes the
/// same statistics whether it is trained on with every other recording in one process or in a
/// shard on another machine.
public struct RecordingFrames<Base: FrameSource>: FrameSource {
    public let base: Base
    public let recordingRows: [Int]

    /// `base`'s rows as consecutive recordings of `recordingRows` rows each (they must add up
    /// to `base.rows`; empty recordings are allowed and contribute nothing).
    public init(_ base: Base, recordingRows: [Int]) {
        precondition(
            recordingRows.allSatisfy { $0 >= 0 } && recordingRows.reduce(0, +) == base.rows,
            "RecordingFrames: recordings of \(recordingRows.reduce(0, +)) rows over \(base.rows) frames")
        self.base = base
        self.recordingRows = recordingRows
    }

    public var rows: Int { base.rows }
    public var columns: Int { base.columns }
    /// Rows `range` of the base.
    public func frames(_ range: Range<Int>) throws -> FeatureMatrix { try base.frames(range) }
    /// Rows at `rows` of the base.
    public func frames(at rows: [Int]) throws -> FeatureMatrix { try base.frames(at: rows) }
    /// The base's column summary.
    public func summary() throws -> FrameSummary { try base.summary() }
    /// The base's exact moments.
    public func moments() throws -> MomentAccumulator { try base.moments() }
    /// The base's frames, when in memory.
    public var inMemory: FeatureMatrix? { base.inMemory }
}
