/// Cllr, minCllr and the actual detection cost of one test length's verification trials,
/// their decision scores (calibrated LLRs when a calibration is given) taken as natural-log
/// LLRs and decided at the Bayes threshold. Encoded as `cllr`, `min_cllr`, `act_dcf` (null
/// where not finite), `bayes_threshold`, `act_p_miss`, `act_p_fa` and `bayes_error`.
public struct CalibrationFigures: Encodable, Sendable, Equatable {
    public var cllr: Double
    public var minCllr: Double
    /// Normalised DCF at `threshold`, with the costs minDCF uses.
    public var actualDCF: Double
    /// The Bayes threshold the actual DCF is measured at.
    public var threshold: Double
    /// Miss and false-alarm rates at that threshold.
    public var missRate: Double
    public var falseAlarmRate: Double
    /// The normalised Bayes error-rate plot.
    public var bayesError: [CalibrationMetrics.BayesErrorPoint]

    /// The figures of target and non-target decision scores; nil when either list is empty.
    public init?(targets: [Double], nonTargets: [Double], cost: DetectionMetrics.CostModel) {
        guard let c = CalibrationMetrics.cllr(targets: targets, nonTargets: nonTargets),
            let m = CalibrationMetrics.minCllr(targets: targets, nonTargets: nonTargets)
        else { return nil }
        threshold = CalibrationMetrics.bayesThreshold(cost)
        guard let a = CalibrationMetrics.detectionCost(targets: targets, nonTargets: nonTargets, threshold: threshold, cost: cost) else { return nil }
        cllr = c
        minCllr = m
        actualDCF = a
        let th = threshold
        missRate = Double(targets.filter { $0 < th }.count) / Double(targets.count)
        falseAlarmRate = Double(nonTargets.filter { $0 >= th }.count) / Double(nonTargets.count)
        bayesError = CalibrationMetrics.bayesErrorCurve(targets: targets, nonTargets: nonTargets)
    }

    enum CodingKeys: String, CodingKey {
        case cllr
        case minCllr = "min_cllr"
        case actualDCF = "act_dcf"
        case threshold = "bayes_threshold"
        case missRate = "act_p_miss"
        case falseAlarmRate = "act_p_fa"
        case bayesError = "bayes_error"
    }

    /// Writes the figures under their JSON keys.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNumber(cllr, forKey: .cllr)
        try c.encodeNumber(minCllr, forKey: .minCllr)
        try c.encodeNumber(actualDCF, forKey: .actualDCF)
        try c.encodeNumber(threshold, forKey: .threshold)
        try c.encodeNumber(missRate, forKey: .missRate)
        try c.encodeNumber(falseAlarmRate, forKey: .falseAlarmRate)
        try c.encode(bayesError, forKey: .bayesError)
    }
}
