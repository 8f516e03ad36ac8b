/// A signed 128-bit integer that counts units of 2^-50: the exact accumulator of EM's
/// statistics and of the frames' moments.
///
/// Why: a sum of Doubles depends on the order of its terms, so statistics summed over shards
/// on several machines (`speakerid sum-stats`) would differ in the last bits from the same
/// statistics summed in one process, and EM would drift apart. Integers add exactly in any
/// order. Each term (a Double partial sum, see `GMMStatistics.accumulate`) is rounded once to
/// the nearest multiple of 2^-50 (about 9e-16, far below a Float's resolution of the model's
/// parameters) and from then on every merge, in any grouping, on any machine, gives the same
/// bits. The range, +-2^77 (1.5e23), holds the second-order sums of millions of hours.
///
/// Two 64-bit words rather than Swift's `Int128`, which needs macOS 15.
public struct ExactSum: Sendable, Equatable, Hashable {
    /// High word (signed) and low word of the two's-complement value in units of 2^-50.
    public private(set) var high: Int64
    public private(set) var low: UInt64

    /// Units per 1.0.
    public static let scale = 0x1p50
    /// Largest magnitude a term or a sum may reach (in value, not units): 2^75.
    public static let limit = 0x1p75

    /// Zero.
    public init() {
        high = 0
        low = 0
    }

    /// The raw words, as stored in a statistics file.
    public init(high: Int64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// `x` rounded to the nearest multiple of 2^-50 (ties to even); nil when `x` is not finite
    /// or beyond `limit`.
    @inline(__always)
    public init?(_ x: Double) {
        guard x.magnitude < Self.limit else { return nil }  // also false for NaN
        let y = x * Self.scale
        if y.magnitude < 0x1p51 {
            // The nearest integer, ties to even, without a call to rint: y + 1.5 x 2^52 lies in
            // [2^52, 2^53), where a Double's unit is 1, and 1.5 x 2^52 is even, so the addition
            // rounds y exactly as rounded(.toNearestOrEven) does (tested against it).
            let v = Int64((y + 0x1.8p52) - 0x1.8p52)
            high = v < 0 ? -1 : 0
            low = UInt64(bitPattern: v)
            return
        }
        let u = y.rounded(.toNearestOrEven)
        if u.magnitude < 0x1p62 {
            let v = Int64(u)
            high = v < 0 ? -1 : 0
            low = UInt64(bitPattern: v)
            return
        }
        // |u| < 2^125 is an integer: split it into 2^64 h + l with 0 <= l < 2^64, both exact.
        let h = (u * 0x1p-64).rounded(.down)
        high = Int64(h)
        low = UInt64(u - h * 0x1p64)
    }

    /// Adds exactly (two's complement, carry from the low word).
    @inline(__always)
    public static func += (a: inout ExactSum, b: ExactSum) {
        let (l, carry) = a.low.addingReportingOverflow(b.low)
        a.low = l
        a.high = a.high &+ b.high &+ (carry ? 1 : 0)
    }

    /// The value as a Double (deterministic: the same words always give the same Double).
    public var value: Double {
        guard high < 0 else { return (Double(high) * 0x1p64 + Double(low)) * 0x1p-50 }
        // The magnitude of a negative value: two's-complement negation of both words.
        let l = ~low &+ 1
        let h = ~high &+ (l == 0 ? 1 : 0)
        return -(Double(UInt64(bitPattern: h)) * 0x1p64 + Double(l)) * 0x1p-50
    }

    /// Whether the sum is still inside `limit` (2^125 units, a quarter of the 128-bit range).
    public var inRange: Bool { high.magnitude < (1 << 61) }
}

extension Array where Element == ExactSum {
    /// Adds another array of sums element by element.
    mutating func addExactly(_ other: [ExactSum]) {
        precondition(other.count == count)
        withUnsafeMutableBufferPointer { s in
            other.withUnsafeBufferPointer { o in
                for i in 0..<o.count { s[i] += o[i] }
            }
        }
    }
}
