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
        duration, scale and offset also depend on the log speech durations of the test and of \
        the model's enrolment. identify, verify and evaluate take the file as --calibration.
        """)

    @Option(name: .customLong("models"), help: ArgumentHelp("Folder of the enrolled speaker models the calibration is for (default: models; required with --scores: the models the scores were made with).", valueName: "dir"))
    var modelsGiven: String?
    var models: String { modelsGiven ?? "models" }
    @OptionGroup var background: UBMArguments
    @Option(help: ArgumentHelp("Corpus and split to draw development trials from (default split: enroll; the test split is refused).", valueName: "dir[:split]"))
    var corpus: String?
    @Option(help: ArgumentHelp("Fit on the trials of this score file (evaluate --scores) instead of --corpus.", valueName: "file"))
    var scores: String?
    @Option(help: ArgumentHelp("Calibration file to write.", valueName: "file"))
    var out: String
    @Option(help: ArgumentHelp("Quality measures: none, or duration (log speech durations of test and enrolment).", valueName: "q"))
    var quality = CalibrationQuality.none
    @Option(parsing: .unconditional, help: ArgumentHelp("Prior of the target speaker in the application. With the costs it sets the effective prior the development trials are weighted for.", valueName: "P"))
    var prior = 0.01
    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a miss in the application; the default is NIST SRE 2008's.", valueName: "C"))
    var costMiss = 10.0
    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a false alarm in the application.", valueName: "C"))
    var costFa = 1.0
    @Option(help: ArgumentHelp("Segment lengths in seconds to score as well as whole files, e.g. 1,2 (2).", valueName: "s,..."))
    var segmentSeconds = "1,2"
    @Option(help: ArgumentHelp("With --ubm: T-norm the development scores against this folder of cohort models, as identify and verify --tnorm-models will.", valueName: "dir"))
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
        if (corpus == nil) == (scores == nil) { throw ValidationError("give either --corpus DIR[:SPLIT] (development trials from held-out files) or --scores FILE") }
        if !(prior > 0 && prior < 1) { throw ValidationError("--prior must be between 0 and 1 (exclusive)") }
        if !(costMiss > 0 && costMiss.isFinite) || !(costFa > 0 && costFa.isFinite) { throw ValidationError("--cost-miss and --cost-fa must be positive numbers") }
        if tnormModels != nil && background.ubm == nil { throw ValidationError("--tnorm-models needs --ubm") }
        if tnormModels != nil && scores != nil { throw ValidationError("--tnorm-models goes with --corpus; with --scores, give the file's --score-norm") }
        if scores == nil && scoreNorm != .none { throw ValidationError("--score-norm describes a --scores file; with --corpus use --tnorm-models") }
        if scores != nil && modelsGiven == nil {
            throw ValidationError("--scores needs --models DIR (and --ubm FILE for models adapted from a UBM): the models and UBM the scores were made with, which the calibration is for")
        }
        // Calibration must never see the test split: its figures would no longer be a test.
        if let corpus, TrainUBMCommand.corpusAndSplit(corpus, defaultSplit: "enroll").1.trimmingCharacters(in: .whitespaces).lowercased() == "test" {
            throw ValidationError("--corpus \(corpus): calibration must never see the test split (the figures on it would no longer be a test); give the enrolment split (DIR:enroll, the default) or another development split")
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
        try EvaluateCommand.checkOutputFile(out, option: "--out")
        if let scores { try Self.checkScoreFile(scores) }
        let ubmModel = try background.load()
        let loaded = try Self.loadModels(models, ubm: ubmModel, forScores: scores != nil)
        let quiet = common.quiet || json
        let trials: [CalibrationTrial]
        let normalization: ScoreNormalizationMode
        let source: String
        let segmentLengths: [Double]
        var tnormCohort: String?, znormCohort: String?
        if let scores {
            let file = try Self.readScoreFile(scores, quality: quality)
            trials = file.trials
            normalization = scoreNorm
            try Self.checkSystem(file, path: scores, ubm: ubmModel, models: loaded, modelsFolder: models, normalization: scoreNorm, quiet: common.quiet)
            tnormCohort = file.header?.tnormCohort
            znormCohort = file.header?.znormCohort
            source = "score file \((scores as NSString).lastPathComponent)"
            segmentLengths = []
        } else {
            let (dir, split) = TrainUBMCommand.corpusAndSplit(corpus ?? "", defaultSplit: "enroll")
            segmentLengths = try lengths()
            normalization = tnormModels != nil ? .tnorm : .none
            var cohort: [SpeakerModel]?
            if let tnormModels, let ubmModel {
                let c = try ModelStore(directory: tnormModels).loadAll(ubm: ubmModel)
                cohort = c
                tnormCohort = ScoreSystem.checksum(models: c)
            }
            trials = try await developmentTrials(corpus: dir, split: split, enrolled: loaded, ubm: ubmModel, cohort: cohort,
                                                 segmentLengths: segmentLengths, quiet: quiet)
            source = "held-out halves of \((dir as NSString).lastPathComponent) split \(split)"
        }
        let provenance = CalibrationProvenance(ubmChecksum: ubmModel?.checksumHex, scoreNormalization: normalization,
                                               frontEnd: loaded[0].frontEnd, targetTrials: trials.filter(\.isTarget).count,
                                               nonTargetTrials: trials.filter { !$0.isTarget }.count,
                                               segmentSeconds: [0] + segmentLengths, source: source,
                                               tnormCohort: tnormCohort, znormCohort: znormCohort)
        // The fit is weighted for the application's effective prior (BOSARIS): where its Bayes
        // threshold lies, so the LLRs are most accurate around the decisions made with them.
        // Measured on cv-fa (README): actDCF 1.02-1.06 x minDCF weighted for the effective
        // prior 0.092 of SRE 2008's costs, 1.14-1.18 x weighted for 0.01.
        let effective = costMiss * prior / (costMiss * prior + costFa * (1 - prior))
        let cal = try Calibration.fit(trials, prior: effective, quality: quality, provenance: provenance)
        try cal.save(to: out)
        // How the development trials fare, before and after.
        let rawTar = trials.filter(\.isTarget).map(\.score), rawNon = trials.filter { !$0.isTarget }.map(\.score)
        let llr = trials.map { cal.llr(score: $0.score, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds) }
        let tar = zip(trials, llr).filter { $0.0.isTarget }.map(\.1), non = zip(trials, llr).filter { !$0.0.isTarget }.map(\.1)
        let before = CalibrationMetrics.cllr(targets: rawTar, nonTargets: rawNon) ?? .nan
        let after = CalibrationMetrics.cllr(targets: tar, nonTargets: non) ?? .nan
        let minimum = CalibrationMetrics.minCllr(targets: tar, nonTargets: non) ?? .nan
        if json {
            print(SpeakerIDCLI.json(["file": out, "quality": quality.rawValue, "weights": cal.weights, "prior": prior, "effective_prior": effective,
                                     "target_trials": provenance.targetTrials, "non_target_trials": provenance.nonTargetTrials,
                                     "score_normalization": normalization.rawValue, "raw_cllr": jnum(before), "cllr": jnum(after),
                                     "min_cllr": jnum(minimum), "run_seconds": Date().timeIntervalSince(start)]))
        } else {
            print("\(out): \(provenance.targetTrials) target and \(provenance.nonTargetTrials) non-target development trials (\(source)); quality \(quality.rawValue); weights \(cal.weights.map { fmt($0, 4) }.joined(separator: ", "))")
            print("development Cllr \(fmt(before, 4)) as scores, \(fmt(after, 4)) calibrated (minCllr \(fmt(minimum, 4)))")
        }
    }

    /// Held-out development trials from the enrolment split: each enrolled speaker's files
    /// alternate between a model made as the enrolled ones were and held-out test files, every
    /// held-out file (and segment) scored against every such model.
    func developmentTrials(corpus dir: String, split: String, enrolled: [SpeakerModel], ubm: SpeakerModel?, cohort: [SpeakerModel]?,
                           segmentLengths: [Double], quiet: Bool) async throws -> [CalibrationTrial] {
        let c = try Corpus(root: dir)
        if !quiet { for n in c.notes { Console.warn("note: " + n) } }
        let entries = try c.entries(split: split)
        let split = Enrollment.heldOutHalves(entries, speakers: Corpus.speakers(entries).filter(Set(enrolled.map(\.speaker)).contains))
        let half = split.models, held = split.heldOut
        if held.isEmpty { throw CLIError("\(dir): no enrolled speaker has two or more files in split \(split); calibration needs held-out files") }
        let raw = try rawAudio.format()
        Console.progress("calibrate: models on \(half.count) files, \(held.count) held-out files", quiet: quiet)
        let halfModels = try await EvaluateCommand.models(half, asEnrolled: enrolled, ubm: ubm, raw: raw, threads: common.threadCount,
                                                          skipBad: skipBad, role: "development file")
        let id = try Identifier(models: halfModels, ubm: ubm, topC: background.topC)
        var ev = Evaluator(identifier: id, segmentSeconds: segmentLengths, threads: common.threadCount, skipBad: skipBad)
        ev.raw = raw
        ev.keepScores = true
        if let tnormModels, let cohort, let ubm {
            ev.scoreNormalization = .tnorm
            // When the enrolled models are their own cohort (as in the benchmarks), the held-out
            // models are too: the enrolled models were trained on the held-out files, and as
            // cohort they would score those files as no test file is ever scored.
            let same = URL(fileURLWithPath: tnormModels).resolvingSymlinksInPath().standardizedFileURL
                == URL(fileURLWithPath: models).resolvingSymlinksInPath().standardizedFileURL
            ev.cohortModels = same ? id : try Identifier(models: cohort, ubm: ubm, topC: background.topC)
        }
        let have = Set(halfModels.map(\.speaker))
        let report = try await ev.evaluate(held.filter { have.contains($0.speaker) })
        for s in report.skipped { Console.warn("skipped: \(s.reason)") }
        return report.scores.map { CalibrationTrial(score: $0.score, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, isTarget: $0.isTarget) }
    }

    /// The models; for --scores without --ubm, adapted models say that the UBM is needed.
    static func loadModels(_ folder: String, ubm: SpeakerModel?, forScores: Bool) throws -> [SpeakerModel] {
        do { return try ModelStore(directory: folder).loadAll(ubm: ubm) } catch {
            if forScores, ubm == nil, case .incompatible(let who, let reason) = error, reason.contains("MAP-adapted") {
                throw CLIError("\(who): was adapted from a UBM; calibrate --scores needs that UBM as --ubm FILE, the UBM the scores were made with")
            }
            throw error
        }
    }

    /// A score file's trials, the system its header records (nil without one), and whether its
    /// columns show normalised scores (score differs from raw_score on some row; nil without a
    /// raw_score column).
    struct ScoreFile {
        var trials: [CalibrationTrial]
        var header: ScoreFileHeader?
        var normalized: Bool?
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
    static func checkSystem(_ file: ScoreFile, path: String, ubm: SpeakerModel?, models: [SpeakerModel], modelsFolder: String,
                            normalization: ScoreNormalizationMode, quiet: Bool) throws {
        func name(_ m: ScoreNormalizationMode) -> String { m == .none ? "raw (none)" : m.rawValue }
        if let normalized = file.normalized {
            if normalized && normalization == .none {
                throw CLIError("\(path): its scores are normalised (score differs from raw_score), but --score-norm is none; give the normalisation they had (--score-norm tnorm, znorm or snorm)")
            }
            if !normalized && normalization != .none {
                throw CLIError("\(path): its scores are raw (score equals raw_score on every row), but --score-norm is \(normalization.rawValue); leave --score-norm out")
            }
        }
        guard let h = file.header else {
            if normalization != .none {
                throw CLIError("\(path): has no header naming the \(normalization.rawValue) cohort its scores were normalised with, and a calibration that does not record it is refused with every cohort; write the scores with speakerid evaluate --scores")
            }
            if !quiet { Console.warn("warning: \(path) does not record the UBM, models and score normalisation it was scored with (evaluate --scores writes them); they could not be checked against --models, --ubm and --score-norm") }
            return
        }
        if h.ubmChecksum != ubm?.checksumHex {
            throw CLIError("\(path): its scores were made against \(h.ubmChecksum.map { "the UBM with checksum \($0)" } ?? "no UBM"), but --ubm is \(ubm.map { "the UBM with checksum \($0.checksumHex)" } ?? "not given"); give the UBM the scores were made with")
        }
        let have = ScoreSystem.checksum(models: models)
        if h.modelsChecksum != have {
            throw CLIError("\(path): its scores were made with other models (checksum \(h.modelsChecksum)) than those in \(modelsFolder) (checksum \(have)); give the models folder the scores were made with")
        }
        if h.scoreNormalization != normalization {
            throw CLIError("\(path): its scores were made with score normalisation \(name(h.scoreNormalization)), but --score-norm is \(name(normalization))")
        }
    }

    /// Trials of a score file written by evaluate --scores: its `score` and `target` columns,
    /// and for the duration quality measure its `test_seconds` and `enrol_seconds`. Leading `#`
    /// lines are its header (`ScoreFileHeader`) or comments.
    static func readScoreFile(_ path: String, quality: CalibrationQuality) throws -> ScoreFile {
        try checkScoreFile(path)
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): the score file cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { throw CLIError("\(path): cannot be read as UTF-8 text") }
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        let systemHeader: ScoreFileHeader?
        do { systemHeader = try ScoreFileHeader.parse(all, name: path) } catch { throw CLIError("\(error)") }
        let skip = ScoreFileHeader.commentLines(all)
        let numbered = all.enumerated().dropFirst(skip).filter { !$0.element.isEmpty }
        guard let first = numbered.first else { throw CLIError("\(path): empty score file") }
        let header = first.element.split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var needed = ["score", "target"]
        if quality == .duration { needed += ["test_seconds", "enrol_seconds"] }
        let missing = needed.filter { !header.contains($0) }
        if !missing.isEmpty {
            throw CLIError("\(path):\(first.offset + 1): the header lacks \(missing.joined(separator: ", ")) (write the file with speakerid evaluate --scores)")
        }
        let col = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [CalibrationTrial] = []
        var normalized: Bool? = col["raw_score"] == nil ? nil : false
        for (i, line) in numbered.dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == header.count else { throw CLIError("\(path):\(i + 1): \(f.count) columns, the header has \(header.count)") }
            func number(_ name: String) throws -> Double {
                guard let k = col[name], let v = Double(f[k]), v.isFinite else { throw CLIError("\(path):\(i + 1): \(name) is not a finite number") }
                return v
            }
            guard let t = col["target"], f[t] == "target" || f[t] == "nontarget" else {
                throw CLIError("\(path):\(i + 1): target must be target or nontarget")
            }
            let score = try number("score")
            if normalized == false, try number("raw_score") != score { normalized = true }
            out.append(CalibrationTrial(score: score,
                                        testSeconds: quality == .duration ? try number("test_seconds") : 0,
                                        enrolSeconds: quality == .duration ? try number("enrol_seconds") : 0,
                                        isTarget: f[t] == "target"))
        }
        return ScoreFile(trials: out, header: systemHeader, normalized: normalized)
    }
}
