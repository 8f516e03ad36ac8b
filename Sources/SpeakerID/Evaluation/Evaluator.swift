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

/// How an open-set threshold is chosen on held-out trials.
public enum ThresholdRule: String, Sendable, CaseIterable {
    /// Where misses equal false alarms.
    case eer
    /// Where the SRE 2008 detection cost is lowest (few false alarms: P_target = 0.01).
    case minDCF = "min-dcf"
}

/// Which frames a test segment's normalisation (CMN, warping) is computed over.
public enum SegmentNormalization: String, Sendable, CaseIterable {
    /// The whole test file's speech frames, then cut into segments (the protocol of Reynolds &
    /// Rose and of the scikit-learn peer: features of a test utterance, segmented).
    case file
    /// The segment's own frames only, as if the segment were a clip of its own: harder.
    case segment
}

/// Every trial of one file: for the whole file (length index -1) and each segment length.
struct FileTrials: Sendable {
    struct Trial: Sendable {
        var length: Int  // -1: whole file; else index into segment lengths
        var scores: [Double]
        var cohort: [Double]?
        /// First speech frame of the segment (0 for the whole file).
        var start = 0
        /// Speech frames in the trial.
        var frames = 0
    }
    var label: Int  // true speaker index, or -1 for an impostor
    var trials: [Trial]
    var error: String?
    var path: String
    /// The audio's own sample rate, when it lacks part of the models' band (see
    /// `FrontEndOptions.lacksBand`).
    var narrowBandRate: Int? = nil
    /// With a trial list: the models this file is a verification trial for, and whether each
    /// is a target trial; nil: every model.
    var listed: [(model: Int, isTarget: Bool)]? = nil
}

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
    /// A fixed open-set threshold; otherwise `thresholdTrials` chooses one per test length.
    public var threshold: Double?
    /// Held-out trials (identifier, labelled files) on which to choose the open-set threshold
    /// (the EER threshold per test length).
    public var thresholdIdentifier: Identifier?
    public var thresholdFiles: [(speaker: Int, source: AudioSource)] = []
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

    /// An evaluation of `identifier`'s models, with segment lengths in seconds of speech.
    public init(identifier: Identifier, segmentSeconds: [Double] = [], threads: Int = defaultThreadCount(), skipBad: Bool = false) {
        self.identifier = identifier
        self.segmentSeconds = segmentSeconds
        self.threads = threads
        self.skipBad = skipBad
    }

    /// Speech frames in a segment of `seconds`.
    public func segmentFrames(_ seconds: Double) -> Int {
        max(1, Int((seconds * 1000 / identifier.frontEnd.options.framing.frameShiftMs).rounded()))
    }

    /// Scores every trial of `files` against `id` (and the cohort models for T-norm).
    func trials(_ files: [(label: Int, source: AudioSource)], id: Identifier, counter: ProgressCounter?) async throws -> [FileTrials] {
        let lengths = segmentSeconds.map(segmentFrames)
        let segmentNorm = segmentNormalization
        let raw = self.raw
        let skip = skipBad
        let cohort = scoreNormalization.usesTNorm ? cohortModels : nil
        return try await parallelMap(count: files.count, threads: threads) { i -> FileTrials in
            let (label, source) = files[i]
            let path = source.description
            defer { counter?.tick() }
            let feats: SpeechFeatures
            do { feats = try id.frontEnd.features(of: source, raw: raw) } catch {
                if skip { return FileTrials(label: label, trials: [], error: "\(error)", path: path) }
                throw error
            }
            let normalized = id.frontEnd.normalized(feats.frames)
            // Per-frame scores computed once: with file-level normalisation a segment's score
            // is the mean over its frames.
            let perFrame = id.frameScores(normalized)
            let cohortFrames = cohort?.frameScores(normalized)
            func mean(_ rows: [[Double]], _ r: Range<Int>) -> [Double] {
                rows.map { f in f[r].reduce(0, +) / Double(r.count) }
            }
            var out = [FileTrials.Trial(length: -1, scores: mean(perFrame, 0..<normalized.rows),
                                        cohort: cohortFrames.map { mean($0, 0..<normalized.rows) }, frames: normalized.rows)]
            for (j, n) in lengths.enumerated() {
                for s in stride(from: 0, through: feats.frames.rows - n, by: n) {
                    switch segmentNorm {
                    case .file:
                        out.append(.init(length: j, scores: mean(perFrame, s..<(s + n)), cohort: cohortFrames.map { mean($0, s..<(s + n)) }, start: s, frames: n))
                    case .segment:
                        let seg = id.frontEnd.normalized(feats.frames.slice(s..<(s + n)))
                        out.append(.init(length: j, scores: id.scores(seg), cohort: cohort?.scores(seg), start: s, frames: n))
                    }
                }
            }
            let options = id.frontEnd.options
            return FileTrials(label: label, trials: out, error: nil, path: path,
                              narrowBandRate: options.lacksBand(sourceRate: feats.sourceSampleRate) ? feats.sourceSampleRate : nil)
        }
    }

    /// Scores every trial of the test `entries` (plus cohort, impostor and held-out files as configured) and summarises them.
    public func evaluate(_ entries: [CorpusEntry]) async throws -> EvaluationReport {
        let start = Date()
        let speakers = identifier.speakers
        let index = Dictionary(uniqueKeysWithValues: speakers.enumerated().map { ($1, $0) })
        let missing = Set(entries.map(\.speaker)).subtracting(index.keys).sorted()
        if !missing.isEmpty { throw EvaluationError.unenrolledSpeakers(missing) }
        let withUBM = identifier.ubm != nil
        if scoreNormalization != .none && !withUBM { throw EvaluationError.needsUBM("score normalisation") }
        if !impostorFiles.isEmpty && !withUBM { throw EvaluationError.needsUBM("open-set evaluation with impostors") }
        if scoreNormalization.usesZNorm && cohortFiles.isEmpty { throw EvaluationError.noCohort }
        let tnorm = try tNorm(models: speakers)
        let total = entries.count + impostorFiles.count + (scoreNormalization.usesZNorm ? cohortFiles.count : 0) + thresholdFiles.count
        let counter = ProgressCounter(total: total, report: progress)

        // Z-norm statistics: every model's scores for the cohort's utterances, per test length.
        var znorm: [Int: [ScoreMoments]] = [:]
        // Unusable cohort and held-out files (with skip-bad), reported with the test files'.
        var otherSkipped: [(String, String)] = []
        func noteSkipped(_ files: [FileTrials], role: String) {
            for f in files { if let e = f.error { otherSkipped.append((f.path, "\(e) (\(role))")) } }
        }
        if scoreNormalization.usesZNorm {
            let imp = try await trials(cohortFiles.map { (-1, $0.source) }, id: identifier, counter: counter)
            noteSkipped(imp, role: "Z-norm cohort file")
            znorm = Self.zStatistics(imp, speakers: cohortFiles.map(\.speaker), models: speakers, lengths: segmentSeconds.count)
            try checkZStatistics(znorm)
        }
        let normalize = Self.normalizer(scoreNormalization, znorm: znorm, tnorm: tnorm)
        let decide = calibrated(normalize, models: identifier.models)

        var test = try await trials(entries.map { (index[$0.speaker]!, $0.source) }, id: identifier, counter: counter)
        if let trialList {
            let pairs = try trialList.pairs(entries: entries, models: speakers)
            for i in test.indices { test[i].listed = pairs[i] }
        }
        let impostors = impostorFiles.isEmpty ? [] : try await trials(impostorFiles.map { (-1, $0) }, id: identifier, counter: counter)

        // Open-set thresholds: given, or the EER threshold of held-out enrolment trials.
        var thresholds: [Int: Double] = [:]
        var thresholdSource: String?
        if !impostorFiles.isEmpty {
            if let threshold {
                for j in -1..<segmentSeconds.count { thresholds[j] = threshold }
                thresholdSource = "given"
            } else if calibration != nil {
                let th = CalibrationMetrics.bayesThreshold(cost)
                for j in -1..<segmentSeconds.count { thresholds[j] = th }
                thresholdSource = "Bayes threshold of the calibrated LLRs for P_target \(cost.pTarget), C_miss \(cost.cMiss), C_fa \(cost.cFalseAlarm)"
            } else if let tid = thresholdIdentifier, !thresholdFiles.isEmpty {
                var heldOutZ: [Int: [ScoreMoments]] = [:]
                if scoreNormalization.usesZNorm {
                    let imp = try await trials(cohortFiles.map { (-1, $0.source) }, id: tid, counter: nil)
                    heldOutZ = Self.zStatistics(imp, speakers: cohortFiles.map(\.speaker), models: tid.speakers, lengths: segmentSeconds.count)
                    try checkZStatistics(heldOutZ)
                }
                let heldOutNormalize = Self.normalizer(scoreNormalization, znorm: heldOutZ, tnorm: try tNorm(models: tid.speakers))
                let held = try await trials(thresholdFiles.map { ($0.speaker, $0.source) }, id: tid, counter: counter)
                noteSkipped(held, role: "held-out enrolment file for the open-set threshold")
                for j in -1..<segmentSeconds.count {
                    let (tar, non) = Self.verificationScores(held, length: j, normalize: heldOutNormalize)
                    if let m = DetectionMetrics(targets: tar, nonTargets: non) {
                        thresholds[j] = thresholdRule == .eer ? m.eerThreshold : m.minDCFThreshold
                    }
                }
                thresholdSource = "\(thresholdRule == .eer ? "EER" : "minimum-DCF") threshold of held-out enrolment files (models adapted on the other half of each speaker's enrolment files)"
            }
        }

        func lengthResult(_ j: Int) -> LengthResult {
            var acc = AccuracyResult(correct: 0, trials: 0)
            for f in test where f.error == nil {
                for t in f.trials where t.length == j {
                    acc.trials += 1
                    if Identifier.best(t.scores) == f.label { acc.correct += 1 }
                }
            }
            var r = LengthResult(seconds: j < 0 ? nil : segmentSeconds[j], identification: acc)
            if withUBM {
                let (tar, non) = Self.verificationScores(test, length: j, normalize: decide)
                r.verification = DetectionMetrics(targets: tar, nonTargets: non, cost: cost)
                r.histogram = ScoreHistogram(targets: tar, nonTargets: non)
                r.calibration = CalibrationFigures(targets: tar, nonTargets: non, cost: cost)
            }
            if let th = thresholds[j] {
                var o = OpenSetResult(threshold: th, genuineCorrect: 0, genuineRejected: 0, genuineTrials: 0, impostorAccepted: 0, impostorTrials: 0)
                for f in test where f.error == nil {
                    for t in f.trials where t.length == j {
                        let s = decide(t), b = Identifier.best(t.scores)
                        o.genuineTrials += 1
                        if s[b] < th { o.genuineRejected += 1 } else if b == f.label { o.genuineCorrect += 1 }
                    }
                }
                for f in impostors where f.error == nil {
                    for t in f.trials where t.length == j {
                        let s = decide(t)
                        o.impostorTrials += 1
                        if s[Identifier.best(t.scores)] >= th { o.impostorAccepted += 1 }
                    }
                }
                r.openSet = o
            }
            return r
        }

        var confusion = [[Int]](repeating: [Int](repeating: 0, count: speakers.count), count: speakers.count)
        var per: [String: AccuracyResult] = [:]
        var skipped: [(String, String)] = otherSkipped
        for f in test + impostors {
            if let err = f.error { skipped.append((f.path, err)); continue }
            guard f.label >= 0, let whole = f.trials.first(where: { $0.length == -1 }) else { continue }
            let b = Identifier.best(whole.scores)
            confusion[f.label][b] += 1
            per[speakers[f.label], default: AccuracyResult(correct: 0, trials: 0)].trials += 1
            if b == f.label { per[speakers[f.label], default: AccuracyResult(correct: 0, trials: 0)].correct += 1 }
        }
        var report = EvaluationReport(speakers: speakers, whole: lengthResult(-1), segments: segmentSeconds.indices.map(lengthResult),
                                      perSpeaker: per, confusion: confusion, skipped: skipped,
                                      segmentNormalization: segmentNormalization, scoreNormalization: scoreNormalization,
                                      thresholdSource: thresholdSource, seconds: Date().timeIntervalSince(start))
        if keepScores {
            var llrs: ((FileTrials.Trial) -> [Double])?
            if calibration != nil { llrs = decide }
            report.scores = Self.scoreList(test, models: identifier.models, lengths: segmentSeconds,
                                           frameSeconds: identifier.frontEnd.options.framing.frameShiftMs / 1000,
                                           normalize: normalize, decide: llrs)
        }
        for f in test { if let r = f.narrowBandRate { report.narrowBand.test[r, default: 0] += 1 } }
        for f in impostors { if let r = f.narrowBandRate { report.narrowBand.impostors[r, default: 0] += 1 } }
        return report
    }

    /// The score normalisation of a trial: Z-norm with `znorm`'s per-length moments of each
    /// model, T-norm with the trial's cohort-model scores (a cohort model named like the model
    /// being normalised is left out), S-norm their mean.
    static func normalizer(_ mode: ScoreNormalizationMode, znorm: [Int: [ScoreMoments]],
                           tnorm: TNorm?) -> @Sendable (FileTrials.Trial) -> [Double] {
        let z: @Sendable (FileTrials.Trial) -> [Double] = { t in
            guard let m = znorm[t.length] else { return t.scores }
            return t.scores.enumerated().map { m[$0.offset].apply($0.element) }
        }
        let tn: @Sendable (FileTrials.Trial) -> [Double] = { t in
            guard let tnorm, let c = t.cohort else { return t.scores }
            return tnorm.normalize(t.scores, cohortScores: c)
        }
        switch mode {
        case .none: return { $0.scores }
        case .znorm: return z
        case .tnorm: return tn
        case .snorm: return { t in zip(z(t), tn(t)).map { ($0 + $1) / 2 } }
        }
    }

    /// The T-norm of `models` over the cohort models when the mode uses T-norm; refuses a
    /// missing or too small cohort before any scoring.
    func tNorm(models: [String]) throws(EvaluationError) -> TNorm? {
        guard scoreNormalization.usesTNorm else { return nil }
        guard let c = cohortModels else { throw .noCohort }
        do { return try TNorm(cohort: c.speakers, models: models) } catch { throw .scoreNormalization(error.description) }
    }

    /// Z-norm needs every model's impostor moments at every test length: a length the cohort
    /// cannot supply would otherwise leave raw scores among normalised ones.
    func checkZStatistics(_ z: [Int: [ScoreMoments]]) throws(EvaluationError) {
        for j in -1..<segmentSeconds.count where z[j] == nil {
            let what = j < 0 ? "whole files" : "\(segmentSeconds[j])-s segments"
            throw .scoreNormalization("Z-norm: the cohort gives some model fewer than 2 usable \(what) of other speakers; use a cohort with more (or longer) files, or other segment lengths")
        }
    }

    /// Every (trial, model) pair of the labelled files, in file order, whole file first, then
    /// each segment length in turn, segments in time order, models in `speakers` order.
    static func scoreList(_ files: [FileTrials], models: [SpeakerModel], lengths: [Double], frameSeconds: Double,
                          normalize: (FileTrials.Trial) -> [Double], decide: ((FileTrials.Trial) -> [Double])?) -> [VerificationScore] {
        var out: [VerificationScore] = []
        for f in files where f.error == nil && f.label >= 0 {
            for j in -1..<lengths.count {
                for t in f.trials where t.length == j {
                    let llrs = decide?(t)
                    for (m, s) in normalize(t).enumerated() where f.listed?.contains(where: { $0.model == m }) ?? true {
                        out.append(VerificationScore(path: f.path, seconds: j < 0 ? nil : lengths[j],
                                                     startSeconds: Double(t.start) * frameSeconds, model: models[m].speaker,
                                                     speaker: models[f.label].speaker, score: s, rawScore: t.scores[m],
                                                     testSeconds: Double(t.frames) * frameSeconds,
                                                     enrolSeconds: models[m].training.speechSeconds, llr: llrs?[m]))
                    }
                }
            }
        }
        return out
    }

    /// `normalize` followed by the calibration, if any: each model's score mapped to an LLR
    /// with the trial's and the model's speech durations.
    func calibrated(_ normalize: @escaping @Sendable (FileTrials.Trial) -> [Double],
                    models: [SpeakerModel]) -> @Sendable (FileTrials.Trial) -> [Double] {
        guard let cal = calibration else { return normalize }
        let enrol = models.map(\.training.speechSeconds)
        let shift = identifier.frontEnd.options.framing.frameShiftMs / 1000
        return { t in
            let test = Double(t.frames) * shift
            return normalize(t).enumerated().map { cal.llr(score: $0.element, testSeconds: test, enrolSeconds: enrol[$0.offset]) }
        }
    }

    /// Target and non-target scores of every (trial, model) pair of labelled files.
    static func verificationScores(_ files: [FileTrials], length j: Int,
                                   normalize: (FileTrials.Trial) -> [Double]) -> ([Double], [Double]) {
        var tar: [Double] = [], non: [Double] = []
        for f in files where f.error == nil && f.label >= 0 {
            for t in f.trials where t.length == j {
                let s = normalize(t)
                if let listed = f.listed {
                    for (m, isTarget) in listed { if isTarget { tar.append(s[m]) } else { non.append(s[m]) } }
                    continue
                }
                for (m, x) in s.enumerated() {
                    if m == f.label { tar.append(x) } else { non.append(x) }
                }
            }
        }
        return (tar, non)
    }

    /// Per test length, each model's impostor-score moments over the cohort files not of its
    /// own speaker.
    static func zStatistics(_ files: [FileTrials], speakers: [String], models: [String], lengths: Int) -> [Int: [ScoreMoments]] {
        var out: [Int: [ScoreMoments]] = [:]
        for j in -1..<lengths {
            var complete = true
            let moments = models.enumerated().map { (m, name) -> ScoreMoments in
                let scores = zip(files, speakers).filter { $0.0.error == nil && $0.1 != name }
                    .flatMap { $0.0.trials.filter { $0.length == j }.map { $0.scores[m] } }
                if scores.count < 2 { complete = false }
                return ScoreMoments(scores)
            }
            if complete { out[j] = moments }
        }
        return out
    }
}

/// Why an evaluation cannot run as asked.
public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unenrolledSpeakers([String])
    case needsUBM(String)
    case noCohort
    case scoreNormalization(String)

    public var description: String {
        switch self {
        case .unenrolledSpeakers(let s):
            return "test speakers with no enrolled model: \(s.prefix(10).joined(separator: ", "))\(s.count > 10 ? ", ..." : ""); enrol them first (closed-set identification)"
        case .needsUBM(let what): return "\(what) needs models adapted from a UBM, scored against that UBM"
        case .noCohort: return "score normalisation needs a cohort: utterances of other speakers for Z-norm, models of other speakers for T-norm"
        case .scoreNormalization(let why): return why
        }
    }
}

/// Counts finished work items from many tasks and reports (done, total).
final class ProgressCounter: @unchecked Sendable {
    // @unchecked: `done` is only touched under `lock`.
    private let lock = NSLock()
    private var done = 0
    let total: Int
    let report: (@Sendable (Int, Int) -> Void)?

    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }

    func tick() {
        guard let report else { return }
        lock.lock()
        done += 1
        let d = done
        lock.unlock()
        report(d, total)
    }
}
