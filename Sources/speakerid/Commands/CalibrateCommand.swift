import ArgumentParser
import Foundation
import SpeakerID

struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Fit a calibration: scores to log-likelihood ratios, on development trials.",
        discussion: """
            Development trials come from held-out halves of --corpus's split (default enroll; the \
            test split is refused): each enrolled speaker's files alternate between a model adapted \
            (with --ubm) or trained (without) as the enrolled models were, and held-out trials \
            scored against every such model, as whole files and as every --segment-seconds \
            segment. Or --scores DEV.tsv fits on a trial list that evaluate --scores wrote, with the \
            --models and --ubm it was scored with: the file's header names its system (UBM, models, \
            score normalisation and cohort), which must match them and --score-norm; a file \
            without that header is taken on trust, with a warning. The fit \
            is prior-weighted linear logistic regression (BOSARIS, FoCal); with --quality \
            duration (the default), scale and offset also depend on the log speech durations of the \
            test and of the model's enrolment, the scale kept positive over the durations the \
            development trials covered. calibrate prints that range of test durations: its \
            threshold holds there; a longer test is scored as the longest, a shorter one gets the \
            shortest's LLR scaled down in proportion to its speech. --prior, --cost-miss and \
            --cost-fa must give an effective prior from 1e-6 to 1 - 1e-6. identify, verify, \
            evaluate and track take the file as --calibration.
            """)

    @Option(
        name: .customLong("models"),
        help: ArgumentHelp(
            "Folder of the enrolled speaker models the calibration is for (default: models; required with --scores: the models the scores were made with).",
            valueName: "dir"))
    var modelsGiven: String?
    var models: String { modelsGiven ?? "models" }
    @OptionGroup var background: UBMArguments
    @OptionGroup var scoring: SystemArguments
    @Option(
        help: ArgumentHelp(
            "Corpus and split to draw development trials from (default split: enroll; the test split is refused).", valueName: "dir[:split]"))
    var corpus: CorpusSpec?
    @Option(help: ArgumentHelp("Fit on the trials of this score file (evaluate --scores) instead of --corpus.", valueName: "file"))
    var scores: String?
    @Option(help: ArgumentHelp("Calibration file to write.", valueName: "file"))
    var out: String
    @Option(
        name: .customLong("quality"),
        help: ArgumentHelp(
            "Quality measures: duration (log speech durations of test and enrolment; the default), or none (one scale and offset for every duration).",
            valueName: "q"))
    var qualityGiven: CalibrationQuality?
    var quality: CalibrationQuality { qualityGiven ?? .duration }
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Prior of the target speaker in the application. With the costs it sets the effective prior the development trials are weighted for.",
            valueName: "P"))
    var prior = 0.01
    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a miss in the application; the default is NIST SRE 2008's.", valueName: "C"))
    var costMiss = 10.0
    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a false alarm in the application.", valueName: "C"))
    var costFa = 1.0
    /// The application's prior and costs: the fit is weighted for their effective prior.
    var costs: DecisionCosts { DecisionCosts(prior: prior, costMiss: costMiss, costFalseAlarm: costFa) }
    @Option(help: ArgumentHelp("Segment lengths in seconds to score as well as whole files, e.g. 1,2 (2).", valueName: "s,..."))
    var segmentSeconds = "1,2"
    @Option(
        help: ArgumentHelp(
            "With --ubm: T-norm the development scores against this folder of cohort models, as identify and verify --tnorm-models will.",
            valueName: "dir"))
    var tnormModels: String?
    @Option(help: ArgumentHelp("With --scores: the score normalisation the file's scores had: none, tnorm, znorm or snorm.", valueName: "mode"))
    var scoreNorm = ScoreNormalizationMode.none
    @Flag(help: "Report unusable development files and carry on with the rest (default: fail).")
    var skipBad = false
    @Flag(help: "Print a JSON summary.")
    var json = false
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if (corpus == nil) == (scores == nil) {
            throw ValidationError("give either --corpus DIR[:SPLIT] (development trials from held-out files) or --scores FILE")
        }
        try costs.validateAsOptions()
        if tnormModels != nil && background.ubm == nil { throw ValidationError("--tnorm-models needs --ubm") }
        if scoring.system == .fusion && background.ubm == nil {
            throw ValidationError(
                "--system fusion needs --ubm: it is fitted on development trials both systems score, held-out halves of a split (--corpus) or a score file of evaluate --system fusion (--scores)"
            )
        }
        if scoring.system != .gmm && (tnormModels != nil || scoreNorm != .none) {
            throw ValidationError("--system dvector calibrates raw cosines: no --tnorm-models or --score-norm")
        }
        if tnormModels != nil && scores != nil {
            throw ValidationError("--tnorm-models goes with --corpus; with --scores, give the file's --score-norm")
        }
        if scores == nil && scoreNorm != .none { throw ValidationError("--score-norm describes a --scores file; with --corpus use --tnorm-models") }
        if scores != nil && modelsGiven == nil {
            throw ValidationError(
                "--scores needs --models DIR (and --ubm FILE for models adapted from a UBM): the models and UBM the scores were made with, which the calibration is for"
            )
        }
        // Calibration must never see the test split: its figures would no longer be a test.
        if let corpus, corpus.split(or: "enroll").trimmingCharacters(in: .whitespaces).lowercased() == "test" {
            throw ValidationError(
                "--corpus \(corpus): calibration must never see the test split (the figures on it would no longer be a test); give the enrolment split (DIR:enroll, the default) or another development split"
            )
        }
        _ = try lengths()
    }

    func lengths() throws -> [Double] {
        if segmentSeconds.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        return try segmentSeconds.split(separator: ",").map { s in
            guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v > 0, v <= 86_400 else {
                throw ValidationError("--segment-seconds takes numbers above 0 and at most 86400, separated by commas, e.g. 1,2")
            }
            return v
        }
    }

    func run() async throws {
        let start = Date()
        try checkOutputFile(out, option: "--out")
        if let scores { try Self.checkScoreFile(scores) }
        let ubmModel = try background.load()
        let loaded = try Self.loadModels(models, ubm: ubmModel, forScores: scores != nil, dvector: scoring.system == .dvector)
        let quiet = common.quiet || json
        var quality = self.quality
        let trials: [CalibrationTrial]
        let normalization: ScoreNormalizationMode
        let source: String
        let segmentLengths: [Double]
        var tnormCohort: String?, znormCohort: String?
        var scoresHeader: ScoreFileHeader?
        // Fusion: the d-vector system's scores of the same development trials.
        var dvectorTrials: [CalibrationTrial]?
        if let scores {
            let dev = try Self.readScoreFile(scores, quality: qualityGiven, models: Set(loaded.map(\.speaker)), quiet: common.quiet)
            quality = dev.quality
            trials = dev.trials
            normalization = scoreNorm
            try Self.checkSystem(
                dev, path: scores, ubm: ubmModel, models: loaded, modelsFolder: models, normalization: scoreNorm, quiet: common.quiet)
            if let unknown = dev.unknownModel { throw CLIError(unknown) }
            scoresHeader = dev.file.header
            if scoring.system == .dvector && dev.file.header?.system != .dvector {
                throw CLIError(
                    "\(scores): \(dev.file.header == nil ? "has no header naming its system" : "holds the gmm system's scores"), but --system is dvector; give the score file of evaluate --system dvector --scores"
                )
            }
            if scoring.system == .fusion {
                guard dev.file.header?.system == .fusion, dev.file.columns == .fused else {
                    throw CLIError(
                        "\(scores): does not hold both systems' scores (a dvector_score column under a header of the fusion system), but --system is fusion; give the score file of evaluate --system fusion --scores"
                    )
                }
                dvectorTrials = dev.file.scores.map {
                    CalibrationTrial(score: $0.dvectorScore ?? 0, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, isTarget: $0.isTarget)
                }
            }
            tnormCohort = dev.file.header?.tnormCohort
            znormCohort = dev.file.header?.znormCohort
            source = "score file \(PathName.lastComponent(scores))"
            segmentLengths = []
        } else {
            let dir = corpus?.folder ?? "", split = corpus?.split(or: "enroll") ?? "enroll"
            segmentLengths = try lengths()
            normalization = tnormModels != nil ? .tnorm : .none
            var cohort: [SpeakerModel]?
            if let tnormModels, let ubmModel {
                let c = try ModelStore(directory: tnormModels).loadAll(ubm: ubmModel)
                cohort = c
                tnormCohort = ScoreSystem.checksum(models: c)
            }
            let rows = try await developmentTrials(
                corpus: dir, split: split, enrolled: loaded, ubm: ubmModel, cohort: cohort,
                segmentLengths: segmentLengths, quiet: quiet)
            trials = rows.map {
                CalibrationTrial(score: $0.score, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, isTarget: $0.isTarget)
            }
            if scoring.system == .fusion {
                dvectorTrials = rows.map {
                    CalibrationTrial(score: $0.dvectorScore ?? 0, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, isTarget: $0.isTarget)
                }
            }
            source = "held-out halves of \(PathName.lastComponent(dir)) split \(split)"
        }
        var provenance = CalibrationProvenance(
            ubmChecksum: ubmModel?.checksumHex, scoreNormalization: normalization,
            frontEnd: loaded[0].frontEnd, targetTrials: trials.filter(\.isTarget).count,
            nonTargetTrials: trials.filter { !$0.isTarget }.count,
            segmentSeconds: [0] + segmentLengths, source: source,
            tnormCohort: tnormCohort, znormCohort: znormCohort)
        // A score file of the d-vector system calibrates cosines of its encoder.
        if let header = scoresHeader, header.system == .dvector || (header.system == .fusion && dvectorTrials != nil) {
            provenance.system = header.system
            provenance.encoder = header.encoder
        } else if scores == nil, scoring.system != .gmm {
            provenance.system = scoring.system
            provenance.encoder = try scoring.encoderOptions.load(required: true)?.identity.checksum
        }
        // The fit is weighted for the application's effective prior (BOSARIS): where its Bayes
        // threshold lies, so the LLRs are most accurate around the decisions made with them.
        // Measured on cv-fa (README): actDCF 1.02-1.06 x minDCF weighted for the effective
        // prior 0.092 of SRE 2008's costs, 1.14-1.18 x weighted for 0.01.
        let effective = costs.effectivePrior
        let cal: Calibration
        do {
            if let dvectorTrials {
                cal = try Calibration.fitFusion(gmm: trials, dvector: dvectorTrials, prior: effective, quality: quality, provenance: provenance)
            } else {
                cal = try Calibration.fit(trials, prior: effective, quality: quality, provenance: provenance)
            }
        } catch {
            throw CLIError("\(scores ?? corpus?.text ?? ""): \(error)")
        }
        // How the development trials fare, before and after (the fusion: against the GMM's
        // scores).
        let rawTar = trials.filter(\.isTarget).map(\.score), rawNon = trials.filter { !$0.isTarget }.map(\.score)
        let llr = trials.enumerated().map { i, t in
            dvectorTrials.map { cal.llr(gmmScore: t.score, dvectorScore: $0[i].score, testSeconds: t.testSeconds, enrolSeconds: t.enrolSeconds) }
                ?? cal.llr(score: t.score, testSeconds: t.testSeconds, enrolSeconds: t.enrolSeconds)
        }
        let tar = zip(trials, llr).filter { $0.0.isTarget }.map(\.1), non = zip(trials, llr).filter { !$0.0.isTarget }.map(\.1)
        let before = CalibrationMetrics.cllr(targets: rawTar, nonTargets: rawNon) ?? .nan
        let after = CalibrationMetrics.cllr(targets: tar, nonTargets: non) ?? .nan
        let minimum = CalibrationMetrics.minCllr(targets: tar, nonTargets: non) ?? .nan
        // A calibration that tells less than saying nothing (LLR 0, 1 bit) is refused; one that
        // is worse than the raw scores at Cllr's even prior is kept (it is fitted for the
        // effective prior) but said.
        if !(after < 1) {
            throw CLIError(
                "\(out): not written: the calibration weighted for the effective prior \(fmt(effective, 6)) has development Cllr \(fmt(after, 4)) bits, no better than LLR 0 for every trial (1 bit); choose a prior and costs nearer to each other"
            )
        }
        var warning: String?
        if before.isFinite && after > before {
            warning =
                "the calibration (weighted for the effective prior \(fmt(effective, 4))) has development Cllr \(fmt(after, 4)), worse than the raw scores' \(fmt(before, 4)): the scores are already nearly LLRs at other priors"
            if !common.quiet { Console.warn("warning: " + warning!) }
        }
        try cal.save(to: out)
        let durations = cal.testSecondsRange.map { "\(fmt($0.lowerBound, 2))-\(fmt($0.upperBound, 2)) s" }
        if json {
            var o: [String: Any] = [
                "file": out, "quality": quality.rawValue, "weights": cal.weights, "prior": prior, "effective_prior": effective,
                "target_trials": provenance.targetTrials, "non_target_trials": provenance.nonTargetTrials,
                "score_normalization": normalization.rawValue, "raw_cllr": jnum(before), "cllr": jnum(after),
                "min_cllr": jnum(minimum), "run_seconds": Date().timeIntervalSince(start),
            ]
            if let t = cal.testSecondsRange {
                o["min_test_seconds"] = t.lowerBound
                o["max_test_seconds"] = t.upperBound
            }
            if let e = cal.enrolSecondsRange {
                o["min_enrol_seconds"] = e.lowerBound
                o["max_enrol_seconds"] = e.upperBound
            }
            if let warning { o["warning"] = warning }
            print(SpeakerIDCLI.json(o))
        } else {
            print(
                "\(out): \(provenance.targetTrials) target and \(provenance.nonTargetTrials) non-target development trials (\(source)); quality \(quality.rawValue); weights \(cal.weights.map { fmt($0, 4) }.joined(separator: ", "))"
            )
            print("development Cllr \(fmt(before, 4)) as scores, \(fmt(after, 4)) calibrated (minCllr \(fmt(minimum, 4)))")
            if let durations {
                if quality == .duration, let e = cal.enrolSecondsRange {
                    print(
                        "trained on \(durations) of test speech and \(fmt(e.lowerBound, 1))-\(fmt(e.upperBound, 1)) s of enrolment: its threshold holds for test clips of \(durations) of speech; longer ones are scored as \(fmt(cal.testSecondsRange!.upperBound, 2)) s, shorter ones get the LLR of \(fmt(cal.testSecondsRange!.lowerBound, 2)) s scaled down in proportion to their speech"
                    )
                } else {
                    print(
                        "trained on \(durations) of test speech: its threshold holds for test clips of about those durations (one scale and offset for all; --quality duration adapts them to each); shorter ones get LLRs scaled down in proportion to their speech"
                    )
                }
            }
        }
    }

    /// Held-out development trials from the enrolment split: each enrolled speaker's files
    /// alternate between a model made as the enrolled ones were and held-out test files, every
    /// held-out file (and segment) scored against every such model.
    func developmentTrials(
        corpus dir: String, split: String, enrolled: [SpeakerModel], ubm: SpeakerModel?, cohort: [SpeakerModel]?,
        segmentLengths: [Double], quiet: Bool
    ) async throws -> [VerificationScore] {
        let c = try Corpus(root: dir)
        if !quiet { for n in c.notes { Console.warn("note: " + n) } }
        let entries = try c.entries(split: split)
        let enrolledNames = Set(enrolled.map(\.speaker))
        let shared = Corpus.speakers(entries).filter(enrolledNames.contains)
        let halves = Enrollment.heldOutHalves(entries, speakers: shared)
        let half = halves.models, held = halves.heldOut
        if shared.isEmpty {
            throw CLIError(
                "\(dir): none of the \(Corpus.speakers(entries).count) speakers of split \(split) is enrolled in \(models); calibration holds out files of enrolled speakers (give the corpus they were enrolled from)"
            )
        }
        if held.isEmpty {
            throw CLIError(
                "\(dir): none of the \(shared.count) enrolled speakers in split \(split) has two or more files there; calibration needs held-out files (each speaker's files alternate between a model and held-out trials)"
            )
        }
        let raw = try rawAudio.format()
        Console.progress("calibrate: models on \(half.count) files, \(held.count) held-out files", quiet: quiet)
        let halfModels = try await modelsMadeAsEnrolled(
            half, asEnrolled: enrolled, ubm: ubm, raw: raw, threads: common.threadCount,
            skipBad: skipBad, role: "development file")
        var withDVectors = halfModels
        var encoder: SpeakerEncoder?
        if scoring.system != .gmm {
            // The held-out models' d-vectors, from the same half of each speaker's files.
            guard let e = try scoring.encoderOptions.load(required: true) else { return [] }
            encoder = e
            let files = half.filter { f in halfModels.contains { $0.speaker == f.speaker } }
            let embedded = try await parallelMap(count: files.count, threads: common.threadCount) { i in
                try e.embedding(of: files[i].source, raw: raw)
            }
            for k in withDVectors.indices {
                let mine = zip(files, embedded).filter { $0.0.speaker == withDVectors[k].speaker }.map(\.1)
                withDVectors[k].dvector = try SpeakerDVector(embeddings: mine)
            }
        }
        let id = try Identifier(models: withDVectors, ubm: ubm, topC: background.topC)
        var ev = Evaluator(identifier: id, segmentSeconds: segmentLengths, threads: common.threadCount, skipBad: skipBad)
        ev.raw = raw
        ev.keepScores = true
        if let encoder {
            // Fusion: the GMM scores stay the trials' scores, the cosines come beside them.
            ev.dvector = try DVectorScorer(encoder: encoder, models: withDVectors, folder: models)
            ev.system = scoring.system == .fusion ? .gmm : .dvector
        }
        if let tnormModels, let cohort, let ubm {
            ev.scoreNormalization = .tnorm
            // When the enrolled models are their own cohort (as in the benchmarks), the held-out
            // models are too: the enrolled models were trained on the held-out files, and as
            // cohort they would score those files as no test file is ever scored.
            let same =
                URL(fileURLWithPath: tnormModels).resolvingSymlinksInPath().standardizedFileURL
                == URL(fileURLWithPath: models).resolvingSymlinksInPath().standardizedFileURL
            ev.cohortModels = same ? id : try Identifier(models: cohort, ubm: ubm, topC: background.topC)
        }
        let have = Set(halfModels.map(\.speaker))
        let report = try await ev.evaluate(held.filter { have.contains($0.speaker) })
        for s in report.skipped { Console.warn("skipped: \(s.reason)") }
        return report.scores
    }

    /// The models; for --scores without --ubm, adapted models say that the UBM is needed.
    static func loadModels(_ folder: String, ubm: SpeakerModel?, forScores: Bool, dvector: Bool = false) throws -> [SpeakerModel] {
        do { return try ModelStore(directory: folder).loadAll(ubm: ubm, checkingUBM: ubm != nil || !dvector) } catch {
            if forScores, ubm == nil, case .incompatible(let who, let reason) = error, reason.contains("MAP-adapted") {
                throw CLIError("\(who): was adapted from a UBM; calibrate --scores needs that UBM as --ubm FILE, the UBM the scores were made with")
            }
            throw error
        }
    }

    /// A score file (`ScoreFile`: its rows and the system its header records, nil without one)
    /// as development trials.
    struct DevelopmentScores {
        var file: ScoreFile
        var trials: [CalibrationTrial]
        /// Whether the scores are normalised: score differs from raw_score on some row.
        var normalized: Bool
        /// The quality measure to fit with: the one given, or duration when the file has durations.
        var quality: CalibrationQuality
        /// The first row naming a model not among the models given (refused after the header's
        /// check, which names the models folder when the header is there).
        var unknownModel: String?
    }

    /// Refuses a score file that is missing or a folder, before any work.
    static func checkScoreFile(_ path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CLIError("\(path): the score file does not exist (write one with speakerid evaluate --scores)")
        }
        if isDir.boolValue { throw CLIError("\(path): is a folder; --scores takes a score file (speakerid evaluate --scores writes one)") }
    }

    /// The scores must come from the system the calibration will be stamped with: what the
    /// file's header records (UBM, models, score normalisation, cohorts) and what its columns
    /// show (normalised or raw scores) against --ubm, --models and --score-norm.
    static func checkSystem(
        _ file: DevelopmentScores, path: String, ubm: SpeakerModel?, models: [SpeakerModel], modelsFolder: String,
        normalization: ScoreNormalizationMode, quiet: Bool
    ) throws {
        func name(_ m: ScoreNormalizationMode) -> String { m == .none ? "raw (none)" : m.rawValue }
        if file.normalized && normalization == .none {
            throw CLIError(
                "\(path): its scores are normalised (score differs from raw_score), but --score-norm is none; give the normalisation they had (--score-norm tnorm, znorm or snorm)"
            )
        }
        if !file.normalized && normalization != .none {
            throw CLIError(
                "\(path): its scores are raw (score equals raw_score on every row), but --score-norm is \(normalization.rawValue); leave --score-norm out"
            )
        }
        guard let h = file.file.header else {
            if normalization != .none {
                throw CLIError(
                    "\(path): has no header naming the \(normalization.rawValue) cohort its scores were normalised with, and a calibration that does not record it is refused with every cohort; write the scores with speakerid evaluate --scores"
                )
            }
            if !quiet {
                Console.warn(
                    "warning: \(path) does not record the UBM, models and score normalisation it was scored with (evaluate --scores writes them); they could not be checked against --models, --ubm and --score-norm"
                )
            }
            return
        }
        if h.ubmChecksum != ubm?.checksumHex {
            throw CLIError(
                "\(path): its scores were made against \(h.ubmChecksum.map { "the UBM with checksum \($0)" } ?? "no UBM"), but --ubm is \(ubm.map { "the UBM with checksum \($0.checksumHex)" } ?? "not given"); give the UBM the scores were made with"
            )
        }
        let have = ScoreSystem.checksum(models: models)
        if h.modelsChecksum != have {
            throw CLIError(
                "\(path): its scores were made with other models (checksum \(h.modelsChecksum)) than those in \(modelsFolder) (checksum \(have)); give the models folder the scores were made with"
            )
        }
        if h.scoreNormalization != normalization {
            throw CLIError(
                "\(path): its scores were made with score normalisation \(name(h.scoreNormalization)), but --score-norm is \(name(normalization))")
        }
    }

    /// The trials of a score file written by evaluate --scores (`ScoreFile`, which refuses a
    /// damaged file naming its line), with its `test_seconds` and `enrol_seconds` when it has
    /// them (needed for the duration quality measure, which is used when `quality` is nil and
    /// they are there). A model not among `models` is left in `unknownModel` for the caller to
    /// refuse.
    static func readScoreFile(_ path: String, quality given: CalibrationQuality?, models: Set<String>, quiet: Bool) throws -> DevelopmentScores {
        try checkScoreFile(path)
        let file = try ScoreFile.read(path: path)
        let timed = file.columns.hasDurations
        let quality: CalibrationQuality
        if let given {
            quality = given
        } else {
            quality = timed ? .duration : .none
            if !timed && !quiet {
                Console.warn(
                    "warning: \(path) has no test_seconds and enrol_seconds columns, so the calibration cannot follow test durations (--quality none); write the scores with a current speakerid evaluate --scores"
                )
            }
        }
        if quality == .duration && !timed {
            throw CLIError(
                "\(path):\(file.columnHeaderLine): the header lacks test_seconds, enrol_seconds (which --quality duration needs; give --quality none for a file without durations) (write the file with speakerid evaluate --scores)"
            )
        }
        // Rows follow the column header line by line.
        let unknownModel = file.scores.firstIndex { !models.contains($0.model) }.map { k in
            "\(path):\(file.columnHeaderLine + 1 + k): model \(file.scores[k].model.debugDescription) is not in --models (\(models.count) models); the scores were made with other models"
        }
        let trials = file.scores.map {
            CalibrationTrial(score: $0.score, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, isTarget: $0.isTarget)
        }
        return DevelopmentScores(
            file: file, trials: trials, normalized: file.scores.contains { $0.score != $0.rawScore }, quality: quality,
            unknownModel: unknownModel)
    }
}
