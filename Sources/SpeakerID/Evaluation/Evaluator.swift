import Foundation

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
