/// Frames that EM reads by row range: held in memory (`FeatureMatrix`) or streamed from a file
/// (`FrameFile`) when there are too many hours to hold.
///
/// Why a protocol: background models are trained on tens to hundreds of hours. EM only ever
/// needs a shard's rows at a time, plus a few summaries of the whole set, so the frames can
/// live on disk and memory stays at one block per worker, whatever the hours.
public protocol FrameSource: Sendable {
    var rows: Int { get }
    var columns: Int { get }
    /// The rows `range`, as a matrix.
    func frames(_ range: Range<Int>) throws -> FeatureMatrix
    /// The rows at the ascending indices `rows`, as a matrix.
    func frames(at rows: [Int]) throws -> FeatureMatrix
    /// Mean and population variance of each column over every row, accumulated in Double in
    /// row order (so every source of the same frames gives the same numbers), and whether
    /// every value is finite.
    func summary() throws -> FrameSummary
    /// Exact column moments (see `MomentAccumulator`): what EM's variance floor is computed
    /// from, the same bits however the frames are held or sharded.
    func moments() throws -> MomentAccumulator
    /// Rows of each recording, in order, adding up to `rows`: EM accumulates statistics in
    /// pieces that never straddle two recordings, so a recording's statistics are the same
    /// whichever other recordings it is trained with (sharded training). One entry when the
    /// frames are not cut into recordings.
    var recordingRows: [Int] { get }
    /// The frames, when they are held in memory (EM then reads them in place); nil when they
    /// are streamed.
    var inMemory: FeatureMatrix? { get }
}

extension FrameSource {
    /// Moments of every row, read in chunks of 65,536 rows.
    public func moments() throws -> MomentAccumulator {
        var a = MomentAccumulator(columns: columns)
        let chunk = 65_536
        for lo in Swift.stride(from: 0, to: rows, by: chunk) { a.add(try frames(lo..<min(rows, lo + chunk))) }
        return a
    }

    /// One recording.
    public var recordingRows: [Int] { [rows] }

    /// Not in memory.
    public var inMemory: FeatureMatrix? { nil }
}

/// What EM needs to know about all of its frames before the first iteration.
public struct FrameSummary: Sendable, Equatable {
    public var mean: [Double]
    public var variance: [Double]
    public var allFinite: Bool
}

/// Running column sums of frames in row order: the arithmetic of
/// `FeatureMatrix.columnMoments`, fed one block at a time.
struct ColumnAccumulator {
    private var sum: [Double], sq: [Double]
    private(set) var rows = 0
    private(set) var allFinite = true

    init(columns: Int) {
        sum = [Double](repeating: 0, count: columns)
        sq = sum
    }

    mutating func add(_ m: FeatureMatrix) {
        let C = m.columns
        m.values.withUnsafeBufferPointer { v in
            for t in 0..<m.rows {
                for c in 0..<C {
                    let f = v[t * C + c]
                    if !f.isFinite { allFinite = false }
                    let x = Double(f)
                    sum[c] += x
                    sq[c] += x * x
                }
            }
        }
        rows += m.rows
    }

    var summary: FrameSummary {
        let n = Double(max(rows, 1))
        let mean = sum.map { $0 / n }
        return FrameSummary(mean: mean, variance: sq.indices.map { max(sq[$0] / n - mean[$0] * mean[$0], 0) }, allFinite: allFinite)
    }
}

extension FeatureMatrix: FrameSource {
    /// The rows `range` (a copy; EM reads a matrix in place instead).
    public func frames(_ range: Range<Int>) -> FeatureMatrix { slice(range) }
    /// The rows at `rows`.
    public func frames(at rows: [Int]) -> FeatureMatrix { selecting(rows) }
    /// Column moments and finiteness, in row order.
    public func summary() -> FrameSummary {
        var a = ColumnAccumulator(columns: columns)
        a.add(self)
        return a.summary
    }

    /// Exact column moments.
    public func moments() -> MomentAccumulator {
        var a = MomentAccumulator(columns: columns)
        a.add(self)
        return a
    }

    /// The matrix itself.
    public var inMemory: FeatureMatrix? { self }
}

/// Every `step`-th row of `base` from `offset`: EM's per-iteration subsample, read through.
public struct StridedFrames<Base: FrameSource>: FrameSource {
    public let base: Base
    public let offset: Int, step: Int

    /// Rows offset, offset + step, ... of `base` (`step` at least 1, `offset` in 0..<step).
    public init(_ base: Base, offset: Int, step: Int) {
        precondition(step >= 1 && offset >= 0)
        self.base = base
        self.offset = offset
        self.step = step
    }

    public var rows: Int { base.rows > offset ? (base.rows - offset + step - 1) / step : 0 }
    public var columns: Int { base.columns }

    /// Rows `range` of the strided view: one contiguous read of the base, then every step-th.
    public func frames(_ range: Range<Int>) throws -> FeatureMatrix {
        if range.isEmpty { return FeatureMatrix(columns: columns) }
        let first = offset + range.lowerBound * step, last = offset + (range.upperBound - 1) * step
        let block = try base.frames(first..<(last + 1))
        return step == 1 ? block : block.selecting(Array(Swift.stride(from: 0, to: block.rows, by: step)))
    }

    /// Rows at `rows` of the strided view.
    public func frames(at rows: [Int]) throws -> FeatureMatrix { try base.frames(at: rows.map { offset + $0 * step }) }

    /// Column moments of the strided rows, read in chunks.
    public func summary() throws -> FrameSummary {
        var a = ColumnAccumulator(columns: columns)
        let chunk = 65_536
        for lo in Swift.stride(from: 0, to: rows, by: chunk) { a.add(try frames(lo..<min(rows, lo + chunk))) }
        return a.summary
    }
}
