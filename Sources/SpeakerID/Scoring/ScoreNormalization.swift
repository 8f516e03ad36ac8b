/// Score normalisation for verification and open-set decisions.
///
/// - Z-norm: each model's score is centred and scaled by the mean and standard deviation of
///   that model's scores for impostor utterances (a cohort corpus), measured per test length.
/// - T-norm: each test trial's scores are centred and scaled by the mean and standard deviation
///   of the same trial's scores against cohort models (the cohort speakers MAP-adapted from
///   the same UBM).
/// - S-norm: the mean of the Z-normed and T-normed scores (symmetric normalisation).
public enum ScoreNormalizationMode: String, Sendable, CaseIterable, Codable {
    case none
    case znorm
    case tnorm
    case snorm

    /// Needs each model's scores for the cohort's utterances.
    public var usesZNorm: Bool { self == .znorm || self == .snorm }
    /// Needs each trial's scores against the cohort's models.
    public var usesTNorm: Bool { self == .tnorm || self == .snorm }
}

/// Mean and standard deviation of a set of scores.
public struct ScoreMoments: Sendable, Equatable {
    public var mean: Double
    public var deviation: Double

    /// Moments of `values` (a deviation of 0 becomes 1, so normalising never divides by zero).
    public init(_ values: [Double]) {
        let n = Double(max(values.count, 1))
        let m = values.reduce(0, +) / n
        mean = m
        let v = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
        deviation = v > 1e-12 ? v.squareRoot() : 1
    }

    /// `x` centred and scaled.
    public func apply(_ x: Double) -> Double { (x - mean) / deviation }
}
