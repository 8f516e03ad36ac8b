/// Held-out trials that choose the open-set threshold: models made on one half of each
/// enrolled speaker's enrolment files (`Enrollment.heldOutHalves`), scored on the other half.
public struct HeldOutTrials: Sendable {
    /// The models made on the first half, in the enrolled models' order.
    public var identifier: Identifier
    /// The held-out files, each with the index of its speaker's model in `identifier`.
    public var files: [(speaker: Int, source: AudioSource)]

    /// Held-out `files` scored against `identifier`'s models.
    public init(identifier: Identifier, files: [(speaker: Int, source: AudioSource)]) {
        self.identifier = identifier
        self.files = files
    }
}

/// Open-set identification: the threshold of each test length, and how the identified
/// speaker of genuine and impostor trials fares against it.
extension Evaluator {
    /// The open-set threshold of each test length and where it came from: given, the Bayes
    /// threshold of the calibrated LLRs, or the operating point `thresholdRule` picks on the
    /// held-out trials (a length where they give no target or no non-target score gets none).
    /// None without impostors (there is nothing to decide) or without any of those. Also the
    /// held-out files that could not be used.
    func openSetThresholds(counter: ProgressCounter) async throws -> (thresholds: [TestLength: Double], source: String?, unusable: [FileTrials]) {
        let lengths = TestLength.all(segmentLengths: segmentSeconds.count)
        guard !impostorFiles.isEmpty else { return ([:], nil, []) }
        if let threshold {
            return (Dictionary(uniqueKeysWithValues: lengths.map { ($0, threshold) }), "given", [])
        }
        if calibration != nil {
            let th = CalibrationMetrics.bayesThreshold(cost)
            return (
                Dictionary(uniqueKeysWithValues: lengths.map { ($0, th) }),
                "Bayes threshold of the calibrated LLRs for P_target \(cost.pTarget), C_miss \(cost.cMiss), C_fa \(cost.cFalseAlarm)", []
            )
        }
        guard let heldOut, !heldOut.files.isEmpty else { return ([:], nil, []) }
        let tid = heldOut.identifier
        let znorm = scoreNormalization.usesZNorm ? try await zNorm(models: tid, counter: nil).statistics : [:]
        let normalize = Self.normalizer(scoreNormalization, znorm: znorm, tnorm: try tNorm(models: tid.speakers))
        let held = try await trials(heldOut.files.map { (.enrolled($0.speaker), $0.source) }, id: tid, counter: counter)
        var thresholds: [TestLength: Double] = [:]
        for length in lengths {
            let (tar, non) = Self.verificationScores(held, length: length, normalize: normalize)
            if let m = DetectionMetrics(targets: tar, nonTargets: non) {
                thresholds[length] = thresholdRule == .eer ? m.eerThreshold : m.minDCFThreshold
            }
        }
        let source =
            "\(thresholdRule == .eer ? "EER" : "minimum-DCF") threshold of held-out enrolment files (models adapted on the other half of each speaker's enrolment files)"
        return (thresholds, source, held.filter { $0.error != nil })
    }

    /// Open-set identification of one test length's trials at `threshold`: a genuine trial is
    /// accepted when its identified (best raw-scoring) speaker's decision score reaches the
    /// threshold, and correct when that speaker is the true one; an impostor trial accepted so
    /// is a false acceptance.
    static func openSet(
        test: [FileTrials], impostors: [FileTrials], length: TestLength, threshold th: Double,
        decide: (FileTrials.Trial) -> [Double]
    ) -> OpenSetResult {
        var o = OpenSetResult(threshold: th, genuineCorrect: 0, genuineRejected: 0, genuineTrials: 0, impostorAccepted: 0, impostorTrials: 0)
        for f in test where f.error == nil {
            for t in f.trials(of: length) {
                let s = decide(t), b = Identifier.best(t.scores)
                o.genuineTrials += 1
                if s[b] < th { o.genuineRejected += 1 } else if .enrolled(b) == f.speaker { o.genuineCorrect += 1 }
            }
        }
        for f in impostors where f.error == nil {
            for t in f.trials(of: length) {
                o.impostorTrials += 1
                if decide(t)[Identifier.best(t.scores)] >= th { o.impostorAccepted += 1 }
            }
        }
        return o
    }
}
