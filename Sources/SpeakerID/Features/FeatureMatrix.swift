/// Frames of feature vectors, stored row-major as `Float` (one row per 10 ms frame).
public struct FeatureMatrix: Sendable, Equatable {
    public private(set) var rows: Int
    public let columns: Int
    public private(set) var values: [Float]

    /// An empty matrix of `columns` columns.
    public init(columns: Int) {
        self.rows = 0
        self.columns = columns
        self.values = []
    }

    /// A matrix over `values`, row-major; `values.count` must be rows x columns.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "FeatureMatrix: \(values.count) values for \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A rows x columns matrix filled with `v`.
    public init(rows: Int, columns: Int, repeating v: Float = 0) {
        self.init(rows: rows, columns: columns, values: [Float](repeating: v, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// A copy of one row.
    public func row(_ r: Int) -> [Float] { Array(values[(r * columns)..<((r + 1) * columns)]) }

    /// Appends `rows` rows of zeros and returns the index of the first.
    mutating func appendZeroRows(_ n: Int) -> Int {
        let first = rows
        values.append(contentsOf: repeatElement(0, count: n * columns))
        rows += n
        return first
    }

    /// Appends one row of `columns` values.
    public mutating func append(row: [Float]) {
        precondition(row.count == columns)
        values.append(contentsOf: row)
        rows += 1
    }

    /// The rows `range`, as a new matrix.
    public func slice(_ range: Range<Int>) -> FeatureMatrix {
        FeatureMatrix(
            rows: range.count, columns: columns,
            values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// The rows whose indices are in `keep`, in order.
    public func selecting(_ keep: [Int]) -> FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(keep.count * columns)
        for r in keep { out.append(contentsOf: values[(r * columns)..<((r + 1) * columns)]) }
        return FeatureMatrix(rows: keep.count, columns: columns, values: out)
    }

    /// Every `step`-th row starting at `offset`.
    public func strided(offset: Int, step: Int) -> FeatureMatrix {
        selecting(Array(stride(from: offset, to: rows, by: step)))
    }

    /// Rows of several matrices stacked (all must have the same number of columns).
    public static func concatenate(_ parts: [FeatureMatrix]) -> FeatureMatrix? {
        guard let c = parts.first?.columns else { return nil }
        var m = FeatureMatrix(columns: c)
        m.values.reserveCapacity(parts.reduce(0) { $0 + $1.values.count })
        for p in parts { m.append(p) }
        return m
    }

    /// Appends the rows of `other` (same number of columns).
    public mutating func append(_ other: FeatureMatrix) {
        precondition(other.columns == columns, "FeatureMatrix: appending \(other.columns) columns to \(columns)")
        values.append(contentsOf: other.values)
        rows += other.rows
    }

    mutating func withUnsafeMutableValues<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Mean and (population) variance of each column, accumulated in Double so long
    /// utterances and pooled training sets lose no digits.
    public func columnMoments() -> (mean: [Double], variance: [Double]) {
        let s = summary()
        return (s.mean, s.variance)
    }
}

/// Per-column variance of a matrix.
public func columnVariances(_ m: FeatureMatrix) -> [Float] {
    m.columnMoments().variance.map { Float($0) }
}
