/// Column sums and sums of squares of frames, kept exactly (`ExactSum`), so the moments of a set
/// of frames are the same bits however the frames were split into shards, read in blocks or
/// merged: what EM's variance floor is computed from, in one process or over many machines.
///
/// Each value x (a Float) and its square (exact in Double) is rounded once to a multiple of
/// 2^-50; sums of those never round again.
public struct MomentAccumulator: Sendable, Equatable {
    public let columns: Int
    public private(set) var rows = 0
    /// False once a value was NaN, infinite, or too large for the exact sums.
    public private(set) var allFinite = true
    /// Exact column sums of x and of x^2.
    public private(set) var sums: [ExactSum]
    public private(set) var squares: [ExactSum]

    /// No frames yet.
    public init(columns: Int) {
        self.columns = columns
        sums = [ExactSum](repeating: ExactSum(), count: columns)
        squares = sums
    }

    /// Moments read back from a statistics file.
    public init(columns: Int, rows: Int, allFinite: Bool, sums: [ExactSum], squares: [ExactSum]) {
        precondition(sums.count == columns && squares.count == columns)
        self.columns = columns
        self.rows = rows
        self.allFinite = allFinite
        self.sums = sums
        self.squares = squares
    }

    /// Adds every row of `m`.
    public mutating func add(_ m: FeatureMatrix) {
        precondition(m.columns == columns, "MomentAccumulator: \(m.columns) columns, expected \(columns)")
        let C = columns
        var finite = allFinite
        m.values.withUnsafeBufferPointer { v in
            sums.withUnsafeMutableBufferPointer { s in
                squares.withUnsafeMutableBufferPointer { q in
                    for t in 0..<m.rows {
                        for c in 0..<C {
                            let x = Double(v[t * C + c])
                            if let e = ExactSum(x), let e2 = ExactSum(x * x) {
                                s[c] += e
                                q[c] += e2
                            } else {
                                finite = false
                            }
                        }
                    }
                }
            }
        }
        allFinite = finite
        rows += m.rows
    }

    /// Adds the moments of other frames (another shard): exact, so the order of merging does
    /// not matter.
    public mutating func merge(_ o: MomentAccumulator) {
        precondition(o.columns == columns, "MomentAccumulator: merging \(o.columns) columns into \(columns)")
        sums.addExactly(o.sums)
        squares.addExactly(o.squares)
        rows += o.rows
        allFinite = allFinite && o.allFinite && sums.allSatisfy(\.inRange) && squares.allSatisfy(\.inRange)
    }

    /// Mean of each column.
    public var mean: [Double] {
        let n = Double(max(rows, 1))
        return sums.map { $0.value / n }
    }

    /// Population variance of each column (never negative).
    public var variance: [Double] {
        let n = Double(max(rows, 1))
        return zip(sums, squares).map { s, q in
            let m = s.value / n
            return max(q.value / n - m * m, 0)
        }
    }
}
