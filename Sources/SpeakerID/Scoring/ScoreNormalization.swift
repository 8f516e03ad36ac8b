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

/// T-norm (Auckenthaler et al. 2000): a clip's score for a model is centred and scaled by the
/// mean and standard deviation of the same clip's scores against cohort models, speakers who
/// are not enrolled, MAP-adapted from the same UBM. It makes one threshold work across clips
/// of different channels and lengths. A cohort model named like the model being normalised is
/// left out, so the enrolled models themselves can serve as each other's cohort.
public struct TNorm: Sendable {
    /// Cohort models; fewer than this leave no usable standard deviation.
    public static let minimumCohort = 3
    public let cohort: [String]
    public let models: [String]
    /// For each model, the index of the cohort model of its own name, if any.
    private let leftOut: [Int?]

    /// A T-norm over the cohort models named `cohort` for the models named `models`: each
    /// model must keep at least `minimumCohort` cohort models once its own name is left out.
    public init(cohort: [String], models: [String]) throws(ScoreNormalizationError) {
        for m in models {
            let left = cohort.filter { $0 != m }.count
            if left < Self.minimumCohort { throw .cohortTooSmall(model: m, left: left) }
        }
        self.cohort = cohort
        self.models = models
        leftOut = models.map { cohort.firstIndex(of: $0) }
    }

    /// `scores` of `models` (in order), normalised by `cohortScores` (the same clip's scores
    /// against the cohort, in cohort order).
    public func normalize(_ scores: [Double], cohortScores: [Double]) -> [Double] {
        precondition(scores.count == models.count && cohortScores.count == cohort.count, "one score per model and per cohort model")
        let all = ScoreMoments(cohortScores)
        return zip(leftOut, scores).map { skip, x in
            guard let skip else { return all.apply(x) }
            return ScoreMoments(cohortScores.enumerated().filter { $0.offset != skip }.map(\.element)).apply(x)
        }
    }
}

/// Why scores cannot be normalised as asked.
public enum ScoreNormalizationError: Error, Equatable, Sendable, CustomStringConvertible {
    case cohortTooSmall(model: String, left: Int)

    public var description: String {
        switch self {
        case .cohortTooSmall(let m, let n):
            return
                "T-norm needs at least \(TNorm.minimumCohort) cohort models per model; \(m.debugDescription) has \(n) once a cohort model of its own name is left out"
        }
    }
}
