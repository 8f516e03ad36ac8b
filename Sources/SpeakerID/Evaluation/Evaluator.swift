import Foundation

/// Runs Reynolds' protocols: every test file is a trial, and so is every consecutive,
/// non-overlapping run of S seconds of speech frames cut from it (the remainder dropped), for
/// each S asked for. With a UBM, every (trial, enrolled speaker) pair is also a verification
/// trial, and impostor files give open-set figures.
///
/// Identification names the speaker with the highest raw score; score normalisation (Z-norm,
/// T-norm) calibrates scores across models and trials for threshold decisions, so it applies
/// to verification and to the open-set accept/reject of the identified speaker.
public struct Evaluator: Sendable {
    public let identifier: Identifier
    public var segmentSeconds: [Double]
    public var threads: Int
    public var skipBad: Bool
    public var segmentNormalization: SegmentNormalization = .file
    /// Format of headerless audio, if the corpora hold any.
    public var raw: RawAudioFormat?
    public var scoreNormalization: ScoreNormalizationMode = .none
    /// Cohort for Z-norm (impostor utterances): background files and their speakers. A
    /// cohort file never counts as an impostor for a model of its own speaker's name, so the
    /// enrolment split itself can serve as a Z-norm cohort.
    public var cohortFiles: [(speaker: String, source: AudioSource)] = []
    /// Cohort models for T-norm (MAP-adapted from the same UBM).
    public var cohortModels: Identifier?
    /// Impostor files for open-set identification.
    public var impostorFiles: [AudioSource] = []
    /// A fixed open-set threshold; otherwise the calibration's Bayes threshold, or `heldOut`
    /// chooses one per test length.
    public var threshold: Double?
    /// Held-out trials on which to choose the open-set threshold per test length (by
    /// `thresholdRule`); nil: none.
    public var heldOut: HeldOutTrials?
    /// Which operating point of the held-out trials sets the threshold.
    public var thresholdRule: ThresholdRule = .minDCF
    /// Keep every verification trial's score in the report (`EvaluationReport.scores`), for
    /// score files: fusion, calibration or analysis with other tools.
    public var keepScores = false
    /// Verification over exactly these (model, utterance) pairs instead of every pair.
    public var trialList: TrialList?
    /// Maps decision scores to LLRs: verification figures, open-set decisions (at its Bayes
    /// threshold unless `threshold` is given) and Cllr then use the LLRs.
    public var calibration: Calibration?
    /// Prior and costs of the detection cost function (minDCF, actDCF) and the Bayes threshold.
    public var cost = DetectionMetrics.CostModel()
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// The d-vector system: with it every trial is also scored by the encoder's cosine (the
    /// whole file as `identify --system dvector` embeds it; a segment from the audio of its
    /// speech frames, level-normalised, not trimmed again).
    public var dvector: DVectorScorer?
    /// Which system's scores the figures and score files are of (`dvector` needs `dvector`).
    public var system: ScoringSystem = .gmm

    /// An evaluation of `identifier`'s models, with segment lengths in seconds of speech.
    public init(identifier: Identifier, segmentSeconds: [Double] = [], threads: Int = defaultThreadCount(), skipBad: Bool = false) {
        self.identifier = identifier
        self.segmentSeconds = segmentSeconds
        self.threads = threads
        self.skipBad = skipBad
    }

    /// Scores every trial of the test `entries` (plus cohort, impostor and held-out files as configured) and summarises them.
    public func evaluate(_ entries: [CorpusEntry]) async throws -> EvaluationReport {
        let start = Date()
        let speakers = identifier.speakers
        let index = Dictionary(uniqueKeysWithValues: speakers.enumerated().map { ($1, $0) })
        let missing = Set(entries.map(\.speaker)).subtracting(index.keys).sorted()
        if !missing.isEmpty { throw EvaluationError.unenrolledSpeakers(missing) }
        let hasUBM = identifier.ubm != nil
        if scoreNormalization != .none && (!hasUBM || system == .dvector) { throw EvaluationError.needsUBM("score normalisation") }
        if !impostorFiles.isEmpty && (!hasUBM || system == .dvector) { throw EvaluationError.needsUBM("open-set evaluation with impostors") }
        // Verification figures need scores comparable across models: ratios against a UBM, or
        // the d-vector system's cosines.
        let withUBM = hasUBM || system == .dvector
        if system == .fusion {
            guard hasUBM, dvector != nil, calibration?.system == .fusion else {
                throw EvaluationError.needsUBM("the fusion of the GMM and d-vector systems (with the encoder and a fusion calibration)")
            }
        }
        if scoreNormalization.usesZNorm && cohortFiles.isEmpty { throw EvaluationError.noCohort }
        let tnorm = try tNorm(models: speakers)
        let total = entries.count + impostorFiles.count + (scoreNormalization.usesZNorm ? cohortFiles.count : 0) + (heldOut?.files.count ?? 0)
        let counter = ProgressCounter(total: total, report: progress)

        // Z-norm statistics: every model's scores for the cohort's utterances, per test length.
        var znorm: [TestLength: [ScoreMoments]] = [:]
        // Unusable cohort and held-out files (with skip-bad), reported with the test files'.
        var skipped: [SkippedFile] = []
        if scoreNormalization.usesZNorm {
            let z = try await zNorm(models: identifier, counter: counter)
            znorm = z.statistics
            skipped += Self.skipped(z.unusable, role: "Z-norm cohort file")
        }
        let normalize = Self.normalizer(scoreNormalization, znorm: znorm, tnorm: tnorm)
        let decide = calibrated(normalize, models: identifier.models)
        // Identification names the best raw score; the fusion's best fused LLR (its only score).
        let fusing = system == .fusion
        let identifying: @Sendable (FileTrials.Trial) -> [Double] = { fusing ? decide($0) : $0.scores }

        // Every test speaker has a model (checked above).
        var test = try await trials(
            entries.map { (index[$0.speaker].map(TrueSpeaker.enrolled) ?? .impostor, $0.source) },
            id: identifier, counter: counter)
        if let trialList {
            let pairs = try trialList.pairs(entries: entries, models: speakers)
            for i in test.indices { test[i].listed = pairs[i] }
        }
        let impostors = impostorFiles.isEmpty ? [] : try await trials(impostorFiles.map { (.impostor, $0) }, id: identifier, counter: counter)
        let openSet = try await openSetThresholds(counter: counter)
        skipped += Self.skipped(openSet.unusable, role: "held-out enrolment file for the open-set threshold")

        skipped += Self.skipped(test + impostors, role: nil)
        let calibratedFigures = system == .gmm || calibration != nil
        var report = summary(
            system, test: test, impostors: impostors, openSet: (openSet.thresholds, openSet.source), identifying: identifying, decide: decide,
            verification: withUBM, calibrated: calibratedFigures, skipped: skipped, start: start)
        // The fusion's two systems side by side, each with its own part of the fusion calibration.
        if system == .fusion, let parts = calibration?.parts, parts.count == 2 {
            let none: (thresholds: [TestLength: Double], source: String?) = ([:], nil)
            let gmmDecide = calibrated(normalize, models: identifier.models, calibration: parts[0])
            let gmm = summary(
                .gmm, test: test, impostors: [], openSet: none, identifying: { $0.scores }, decide: gmmDecide,
                verification: true, calibrated: true, skipped: skipped, start: start)
            var cosines = test
            for f in cosines.indices {
                for k in cosines[f].trials.indices { cosines[f].trials[k].scores = cosines[f].trials[k].dvectorScores ?? [] }
            }
            let dvDecide = calibrated({ $0.scores }, models: identifier.models, calibration: parts[1])
            let dv = summary(
                .dvector, test: cosines, impostors: [], openSet: none, identifying: { $0.scores }, decide: dvDecide,
                verification: true, calibrated: true, skipped: skipped, start: start)
            report.systems = [.gmm: gmm, .dvector: dv, .fusion: report]
        } else {
            report.systems = [system: report]
        }
        if keepScores {
            var llrs: ((FileTrials.Trial) -> [Double])?
            if calibration != nil { llrs = decide }
            report.scores = Self.scoreList(
                test, models: identifier.models, lengths: segmentSeconds,
                frameSeconds: identifier.frontEnd.options.framing.frameShiftMs / 1000,
                normalize: normalize, decide: llrs)
        }
        if withUBM && report.whole.verification == nil {
            let (tar, non) = Self.verificationScores(test, length: .wholeFile, normalize: decide)
            report.verificationNote = Self.verificationNote(targets: tar.count, nonTargets: non.count, list: trialList?.path)
        }
        for f in test { if let r = f.narrowBandRate { report.narrowBand.test[r, default: 0] += 1 } }
        for f in impostors { if let r = f.narrowBandRate { report.narrowBand.impostors[r, default: 0] += 1 } }
        return report
    }

    /// The report of `system`'s figures on the scored trials: identification by `identifying`,
    /// verification (with `verification`) and calibration figures (with `calibrated`) of
    /// `decide`'s scores, open-set figures at `openSet`'s thresholds.
    func summary(
        _ system: ScoringSystem, test: [FileTrials], impostors: [FileTrials], openSet: (thresholds: [TestLength: Double], source: String?),
        identifying: (FileTrials.Trial) -> [Double], decide: @escaping @Sendable (FileTrials.Trial) -> [Double],
        verification: Bool, calibrated: Bool, skipped: [SkippedFile], start: Date
    ) -> EvaluationReport {
        let speakers = identifier.speakers
        func lengthResult(_ length: TestLength) -> LengthResult {
            var acc = AccuracyResult(correct: 0, trials: 0)
            for f in test where f.error == nil {
                for t in f.trials(of: length) {
                    acc.trials += 1
                    if .enrolled(Identifier.best(identifying(t))) == f.speaker { acc.correct += 1 }
                }
            }
            var r = LengthResult(seconds: length.seconds(segmentSeconds), identification: acc)
            if verification {
                let (tar, non) = Self.verificationScores(test, length: length, normalize: decide)
                r.verification = DetectionMetrics(targets: tar, nonTargets: non, cost: cost)
                r.histogram = ScoreHistogram(targets: tar, nonTargets: non)
                // Cosines are not log-likelihood ratios: no Cllr or actual cost of them.
                if calibrated { r.calibration = CalibrationFigures(targets: tar, nonTargets: non, cost: cost) }
            }
            if let th = openSet.thresholds[length] {
                r.openSet = Self.openSet(test: test, impostors: impostors, length: length, threshold: th, decide: decide)
            }
            return r
        }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: speakers.count), count: speakers.count)
        var per: [String: AccuracyResult] = [:]
        for f in test {
            guard let truth = f.scoredModel, let whole = f.trials(of: .wholeFile).first else { continue }
            let b = Identifier.best(identifying(whole))
            confusion[truth][b] += 1
            per[speakers[truth], default: AccuracyResult(correct: 0, trials: 0)].trials += 1
            if b == truth { per[speakers[truth], default: AccuracyResult(correct: 0, trials: 0)].correct += 1 }
        }
        var report = EvaluationReport(
            speakers: speakers, whole: lengthResult(.wholeFile),
            segments: segmentSeconds.indices.map { lengthResult(.segment(index: $0)) },
            perSpeaker: per, confusion: confusion, skipped: skipped,
            segmentNormalization: segmentNormalization, scoreNormalization: scoreNormalization,
            thresholdSource: openSet.source, seconds: Date().timeIntervalSince(start))
        report.system = system
        return report
    }

    /// Why verification (EER, minDCF, Cllr) could not be measured on `targets` target and
    /// `nonTargets` non-target trials of whole files, from the trial list `list` if there is one.
    static func verificationNote(targets: Int, nonTargets: Int, list: String?) -> String {
        let counts = "\(targets) target and \(nonTargets) non-target trial\(nonTargets == 1 ? "" : "s")"
        let need = "verification (EER, minDCF, Cllr) needs both target and non-target trials"
        guard let list else {
            return "verification not measured: \(counts); \(need)\(nonTargets == 0 ? " (enrol more than one speaker)" : "")"
        }
        let missing = nonTargets == 0 && targets == 0 ? "trials" : nonTargets == 0 ? "nontarget lines" : "target lines"
        return "verification not measured: the trial list \(list) has \(counts); \(need): add \(missing)"
    }

    /// The files of `files` that could not be used, with the reason and, for files other than
    /// the test and impostor files, their `role`.
    static func skipped(_ files: [FileTrials], role: String?) -> [SkippedFile] {
        files.compactMap { f in
            f.error.map { why in SkippedFile(path: f.path, reason: role.map { "\(why) (\($0))" } ?? why) }
        }
    }
}
