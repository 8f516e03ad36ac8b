import Foundation

/// Accuracy over one set of trials.
public struct AccuracyResult: Codable, Sendable, Equatable {
    public var correct: Int
    public var trials: Int
    public var accuracy: Double { trials > 0 ? Double(correct) / Double(trials) : 0 }
}

/// Open-set identification at one threshold.
public struct OpenSetResult: Sendable, Equatable {
    public var threshold: Double
    /// Genuine trials accepted and attributed to the right speaker.
    public var genuineCorrect: Int
    /// Genuine trials rejected (best score under the threshold).
    public var genuineRejected: Int
    public var genuineTrials: Int
    /// Impostor trials accepted as one of the enrolled speakers.
    public var impostorAccepted: Int
    public var impostorTrials: Int
    public var genuineAccuracy: Double { genuineTrials > 0 ? Double(genuineCorrect) / Double(genuineTrials) : 0 }
    public var impostorAcceptance: Double { impostorTrials > 0 ? Double(impostorAccepted) / Double(impostorTrials) : 0 }
}

/// Results for one test length (whole files, or segments of `seconds`).
public struct LengthResult: Sendable {
    /// nil for whole files.
    public var seconds: Double?
    public var identification: AccuracyResult
    /// Verification over all (trial, enrolled speaker) pairs; with a UBM only.
    public var verification: DetectionMetrics?
    /// With impostors only.
    public var openSet: OpenSetResult?
    /// Target and non-target score histograms (with a UBM only).
    public var histogram: ScoreHistogram?
    /// How well the decision scores serve as LLRs: Cllr, minCllr, actDCF (with a UBM only).
    public var calibration: CalibrationFigures?
}

/// Cllr, minCllr and the actual detection cost of one test length's verification trials,
/// their decision scores (calibrated LLRs when a calibration is given) taken as natural-log
/// LLRs and decided at the Bayes threshold.
public struct CalibrationFigures: Sendable, Equatable {
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
              let m = CalibrationMetrics.minCllr(targets: targets, nonTargets: nonTargets) else { return nil }
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
}

/// Counts of target and non-target scores in equal-width bins.
public struct ScoreHistogram: Sendable, Equatable {
    public var lower: Double
    public var binWidth: Double
    public var targets: [Int]
    public var nonTargets: [Int]

    /// Histograms of both score lists over the same bins; nil when there are too few distinct scores.
    public init?(targets tar: [Double], nonTargets non: [Double], bins: Int = 40) {
        let all = (tar + non).filter(\.isFinite).sorted()
        guard all.count >= 2, bins > 0 else { return nil }
        // The 0.5th-99.5th percentiles, so a few outliers do not flatten the picture; scores
        // outside are not counted.
        let lo = all[all.count / 200], hi = all[(all.count - 1) - all.count / 200]
        guard hi > lo else { return nil }
        lower = lo
        binWidth = (hi - lo) / Double(bins)
        func count(_ xs: [Double]) -> [Int] {
            var c = [Int](repeating: 0, count: bins)
            for x in xs where x.isFinite && x >= lo && x <= hi { c[min(bins - 1, Int((x - lo) / ((hi - lo) / Double(bins))))] += 1 }
            return c
        }
        targets = count(tar)
        nonTargets = count(non)
    }
}

/// The outcome of an evaluation.
public struct EvaluationReport: Sendable {
    public var speakers: [String]
    /// Whole-file trials.
    public var whole: LengthResult
    public var segments: [LengthResult]
    /// Whole-file accuracy per true speaker.
    public var perSpeaker: [String: AccuracyResult]
    /// confusion[true][predicted] counts of whole-file trials, indexed like `speakers`.
    public var confusion: [[Int]]
    /// Files that could not be used, with the reason (only with skip-bad).
    public var skipped: [(path: String, reason: String)]
    public var segmentNormalization: SegmentNormalization
    public var scoreNormalization: ScoreNormalizationMode
    public var thresholdSource: String?
    public var seconds: Double
    /// Test and impostor files whose audio lacks part of the models' band (upsampled
    /// narrow-band audio), with their sample rates: their scores are not comparable.
    public var narrowBand: (test: [Int: Int], impostors: [Int: Int]) = ([:], [:])
    /// Every verification trial's score, when the evaluator was asked to keep them.
    public var scores: [VerificationScore] = []

    public var overall: AccuracyResult { whole.identification }
}

/// One verification trial: a test file or a segment of it, scored against one enrolled model.
public struct VerificationScore: Sendable, Equatable {
    public var path: String
    /// Segment length in seconds of speech; nil for the whole file.
    public var seconds: Double?
    /// Where the segment starts, in seconds of speech frames (0 for the whole file).
    public var startSeconds: Double
    public var model: String
    /// The test file's true speaker.
    public var speaker: String
    /// The score the verification figures use (normalised if score normalisation is on).
    public var score: Double
    /// The average log-likelihood ratio before normalisation.
    public var rawScore: Double
    /// Seconds of speech in the trial (the file's, or the segment's).
    public var testSeconds: Double = 0
    /// Seconds of speech the model was enrolled on.
    public var enrolSeconds: Double = 0
    /// The calibrated natural-log LLR, when the evaluation had a calibration.
    public var llr: Double?

    public var isTarget: Bool { model == speaker }
}
