import ArgumentParser
import Foundation
import SpeakerID

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure identification accuracy (and, with a UBM, verification and open-set figures) on a test corpus.",
        discussion: """
            Every test file is a trial; with --segment-seconds, so is every consecutive, \
            non-overlapping run of S seconds of speech frames (S x 100 frames the VAD kept) cut \
            from each file, the remainder dropped (Reynolds' accuracy versus test length). With \
            --ubm, every (trial, enrolled speaker) pair is a verification trial (EER, minDCF with \
            NIST SRE 2008 costs C_miss=10, C_fa=1, P_target=0.01, normalised; DET points in --json); \
            with --impostors, open-set identification at a threshold given (--threshold) or chosen \
            on the enrolment split (the EER threshold of held-out enrolment files, models adapted on \
            the other half).
            """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @Option(help: ArgumentHelp("Test corpus folder.", valueName: "dir"))
    var corpus: String
    @Option(help: ArgumentHelp("Split to test on.", valueName: "name"))
    var split = "test"
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Comma-separated segment lengths in seconds of speech, e.g. 1,2,5 (may be fractional; at least 0.2, the least speech a decision takes).",
            valueName: "s,..."))
    var segmentSeconds: String?
    @Option(
        help: ArgumentHelp(
            "Normalise segments over the whole test file ('file', default) or over the segment only ('segment', as a clip of that length would be).",
            valueName: "file|segment"))
    var segmentNormalization: SegmentNormalization?
    @OptionGroup var background: UBMArguments
    @OptionGroup var scoring: SystemArguments
    @Option(help: ArgumentHelp("With --ubm: none, znorm, tnorm or snorm (the mean of the two).", valueName: "mode"))
    var scoreNorm = ScoreNormalizationMode.none
    @Option(help: ArgumentHelp("Cohort corpus for Z-norm (impostor utterances) and T-norm (cohort models).", valueName: "dir"))
    var cohort: String?
    @Option(help: ArgumentHelp("Split of the cohort corpus (default: background).", valueName: "name"))
    var cohortSplit: String?
    @Option(
        help: ArgumentHelp(
            "T-norm cohort as a folder of models adapted from the same UBM (enroll --ubm), instead of adapting them from --cohort's corpus on every run; the same folder identify and verify take.",
            valueName: "dir"))
    var tnormModels: String?
    @Option(
        help: ArgumentHelp(
            "Corpus of speakers who are not enrolled, for open-set identification; repeat for several, each optionally DIR:SPLIT.",
            valueName: "dir[:split]"))
    var impostors: [CorpusSpec] = []
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Open-set threshold on the (normalised) score, may be negative; default: chosen on the enrolment split.", valueName: "T"))
    var threshold: Double?
    @Option(
        help: ArgumentHelp(
            "Operating point of the held-out trials that sets the open-set threshold: min-dcf or eer (default: min-dcf).", valueName: "rule"))
    var thresholdRule: ThresholdRule?
    @Option(help: ArgumentHelp("Split whose files choose the open-set threshold (default: enroll).", valueName: "name"))
    var enrollSplit: String?
    @Flag(help: "Report unusable test files and carry on with the rest (default: fail).")
    var skipBad = false
    @Flag(help: "Print one JSON object.")
    var json = false
    @Option(help: ArgumentHelp("Also write a self-contained report.html (charts as inline SVG) into this folder.", valueName: "dir"))
    var report: String?
    @Option(
        help: ArgumentHelp(
            "With --ubm: verify exactly the trials of this Kaldi/NIST list (model utterance target|nontarget; utterances by Kaldi id or file name without extension) instead of every (file, model) pair.",
            valueName: "file"))
    var trials: String?
    @Option(
        help: ArgumentHelp(
            "With --ubm: also write every verification trial's score to this tab-separated file (file, seconds, start, model, speaker, target|nontarget, score, raw_score), for fusion, calibration or analysis elsewhere.",
            valueName: "file"))
    var scores: String?

    @OptionGroup var calibrationOptions: CalibrationArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments
    // Issue #17, sharded evaluation: --shard I/N scores the test files at positions p with
    // p mod N = I into --scores; score-report adds the parts up. (Begin/end of this option.)
    @OptionGroup var sharding: ShardArguments

    func parsedSegments() throws -> [Double] {
        guard let segmentSeconds else { return [] }
        return try Self.segmentLengths(segmentSeconds, option: "--segment-seconds")
    }

    /// "1,2,5": each a number of seconds of speech from `DecisionRule.defaultMinimumSpeechSeconds`
    /// (shorter segments are what identify calls too short) to a day, each once.
    static func segmentLengths(_ text: String, option: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let form = "\(option) takes lengths in seconds from \(DecisionRule.defaultMinimumSpeechSeconds) to 86400, separated by commas, e.g. 1,2,5"
        var out: [Double] = []
        for p in parts {
            guard let v = Double(p), v.isFinite else {
                throw ValidationError("\(form); \(p.isEmpty ? "an empty item" : p.debugDescription) is not a number")
            }
            guard v >= DecisionRule.defaultMinimumSpeechSeconds, v <= 86_400 else { throw ValidationError("\(form); \(p) is out of that range") }
            guard !out.contains(v) else { throw ValidationError("\(form); \(p) is given twice") }
            out.append(v)
        }
        return out
    }

    func validate() throws {
        _ = try parsedSegments()
        if segmentNormalization != nil && segmentSeconds == nil {
            throw ValidationError("--segment-normalization applies to segments: give --segment-seconds")
        }
        if cohortSplit != nil && cohort == nil { throw ValidationError("--cohort-split goes with --cohort DIR") }
        if (thresholdRule != nil || enrollSplit != nil) && impostors.isEmpty {
            throw ValidationError("--threshold-rule and --enroll-split choose the open-set threshold: give --impostors DIR")
        }
        if thresholdRule != nil && threshold != nil { throw ValidationError("give either --threshold or --threshold-rule, not both") }
        if cohort != nil && scoreNorm == .none {
            throw ValidationError("--cohort is used by --score-norm znorm, tnorm or snorm")
        }
        let mode = scoreNorm
        if mode.usesZNorm && cohort == nil {
            throw ValidationError("--score-norm \(scoreNorm.rawValue) needs --cohort DIR (impostor utterances for Z-norm)")
        }
        if mode.usesTNorm && cohort == nil && tnormModels == nil {
            throw ValidationError("--score-norm \(scoreNorm.rawValue) needs --cohort DIR or --tnorm-models DIR")
        }
        if tnormModels != nil && !mode.usesTNorm { throw ValidationError("--tnorm-models goes with --score-norm tnorm or snorm") }
        if scoring.system == .fusion && (background.ubm == nil || calibrationOptions.calibration == nil) {
            throw ValidationError("--system fusion needs --ubm and --calibration (a fusion calibration: calibrate --system fusion)")
        }
        if scoring.system != .gmm {
            if mode != .none || !impostors.isEmpty || tnormModels != nil {
                throw ValidationError(
                    "--system dvector cannot be used with --score-norm, --impostors or --tnorm-models yet: it reports identification and verification (EER, minDCF; with --calibration, Cllr and actDCF) of the encoder's cosines"
                )
            }
        }
        let verifies = background.ubm != nil || scoring.system == .dvector
        if background.ubm == nil && (mode != .none || !impostors.isEmpty) { throw ValidationError("--score-norm and --impostors need --ubm") }
        if let t = threshold, !t.isFinite { throw ValidationError("--threshold must be a number") }
        // The prior and costs set the detection cost (minDCF, actDCF) of verification, with or
        // without a calibration; without --ubm there is no verification.
        let decision = calibrationOptions.givenDecisionOptions
        if !verifies && !decision.isEmpty {
            throw ValidationError(
                "\(decision.count == 1 ? decision[0] : decision.dropLast().joined(separator: ", ") + " and " + decision[decision.count - 1]) set\(decision.count == 1 ? "s" : "") the detection cost of verification (minDCF, actDCF): give --ubm, or leave \(decision.count == 1 ? "it" : "them") out (without --ubm \(decision.count == 1 ? "it does" : "they do") nothing)"
            )
        }
        if scores != nil && !verifies {
            throw ValidationError("--scores needs --ubm (verification scores are log-likelihood ratios) or --system dvector (cosines)")
        }
        // Issue #17: a shard's figures are only a part; the whole report comes from score-report.
        if sharding.shard != nil {
            if scores == nil {
                throw ValidationError("--shard writes one part of the scores: give --scores PART.tsv (and --ubm); score-report adds the parts up")
            }
            if !impostors.isEmpty || report != nil {
                throw ValidationError("--shard cannot be used with --impostors or --report, which need every trial; run score-report on the parts")
            }
        }
    }

    /// The output files can be written: checked before the evaluation runs, not after.
    func checkOutputs() throws {
        if let scores {
            try checkOutputFile(scores, option: "--scores")
            try OutputLocation.refuseOverwriting(
                scores,
                inputs: [
                    ("the UBM", background.ubm), ("the calibration", calibrationOptions.calibration),
                    ("the trial list", trials),
                ].compactMap { w, p in p.map { (w, $0) } })
        }
        if let report {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: report, isDirectory: &isDir), !isDir.boolValue {
                throw CLIError("\(report): is a file; --report takes a folder (report.html is written into it)")
            }
            let page = PathName.join(report, "report.html")
            if FileManager.default.fileExists(atPath: page, isDirectory: &isDir), isDir.boolValue {
                throw CLIError("\(page): is a folder; the report cannot be written")
            }
            // The report's folder is made when the report is written; whether it can be is
            // known now.
            if let problem = OutputLocation.folderProblem(report) { throw CLIError("\(report): cannot write the report (\(problem))") }
        }
    }

    func run() async throws {
        try checkOutputs()
        let ubmModel = try background.load()
        let topC = background.topC
        // The d-vector system without a UBM takes the folder's speakers however their GMMs were
        // made: the GMMs then only find the speech frames segments are cut from.
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel, checkingUBM: ubmModel != nil || scoring.system == .gmm)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let id = try Identifier(models: loaded, ubm: ubmModel, topC: topC)
        let testCorpus = try Corpus(root: corpus)
        let allEntries = try testCorpus.entries(split: split)
        let entries = try sharding.parsed().select(allEntries)  // issue #17: --shard
        let mode = scoreNorm
        let quiet = common.quiet || json
        var ev = Evaluator(identifier: id, segmentSeconds: try parsedSegments(), threads: common.threadCount, skipBad: skipBad)
        ev.segmentNormalization = segmentNormalization ?? .file
        ev.raw = try rawAudio.format()
        ev.scoreNormalization = mode
        ev.threshold = threshold
        ev.thresholdRule = thresholdRule ?? .minDCF
        ev.keepScores = scores != nil
        if scoring.system != .gmm {
            guard let encoder = try scoring.encoderOptions.load(required: true) else { return }
            ev.dvector = try DVectorScorer(encoder: encoder, models: loaded, folder: models)
            ev.system = scoring.system
        }
        if let trials {
            guard ubmModel != nil || scoring.system == .dvector else {
                throw ValidationError("--trials needs --ubm (verification scores are log-likelihood ratios)")
            }
            let list = try TrialList(path: trials)
            _ = try list.pairs(entries: allEntries, models: id.speakers)  // refused before any scoring
            // A shard scores the listed trials of its own test files.
            ev.trialList = sharding.shard == nil ? list : list.restricted(to: entries)
        }
        ev.cost = calibrationOptions.cost
        // The cohorts' checksums: a calibration must have been trained with the same, and the
        // score file records them.
        var tnormCohort: String?, znormCohort: String?
        // Checked before the slow work (cohort adaptation, held-out models); its cohort once the
        // cohort is known.
        let calibration: Calibration?
        if let encoder = ev.dvector?.encoder, scoring.system == .fusion {
            calibration = try calibrationOptions.loadForFusion(encoder: encoder, ubm: ubmModel, frontEnd: loaded[0].frontEnd, models: models)
        } else if let encoder = ev.dvector?.encoder {
            calibration = try calibrationOptions.loadForDVectors(encoder: encoder, frontEnd: loaded[0].frontEnd, models: models)
        } else {
            calibration = try calibrationOptions.load(
                ubm: ubmModel, frontEnd: loaded[0].frontEnd, normalization: mode, models: models,
                checkingCohorts: false)
        }

        if let ubmModel {
            if let tnormModels {
                let c = try ModelStore(directory: tnormModels).loadAll(ubm: ubmModel)
                ev.cohortModels = try Identifier(models: c, ubm: ubmModel, topC: topC)
                tnormCohort = ScoreSystem.checksum(models: c)
            }
            if let cohort {
                let c = try Corpus(root: cohort).entries(split: cohortSplit ?? "background")
                ev.cohortFiles = c.map { ($0.speaker, $0.source) }
                if mode.usesZNorm { znormCohort = try ScoreSystem.checksum(utterances: c.map(\.source)) }
                if mode.usesTNorm && tnormModels == nil {
                    Console.progress("T-norm: adapting \(Corpus.speakers(c).count) cohort models", quiet: quiet)
                    let cohortModels = try await modelsMadeAsEnrolled(
                        c, asEnrolled: loaded, ubm: ubmModel, raw: ev.raw,
                        threads: common.threadCount, skipBad: skipBad, role: "T-norm cohort file")
                    ev.cohortModels = try Identifier(models: cohortModels, ubm: ubmModel, topC: topC)
                    tnormCohort = ScoreSystem.checksum(models: cohortModels)
                }
            }
            if !impostors.isEmpty {
                ev.impostorFiles = try impostors.flatMap { spec in
                    let sp = spec.split(or: "all")
                    return try Corpus(root: spec.folder).entries(split: sp == "all" ? nil : sp).map(\.source)
                }
                if threshold == nil {
                    // Held-out threshold: adapt on the even-numbered enrolment files of each
                    // speaker, score the odd-numbered ones.
                    let enrol = try testCorpus.entries(split: enrollSplit ?? "enroll")
                    let speakers = id.speakers
                    let split = Enrollment.heldOutHalves(enrol, speakers: speakers)
                    let index = Dictionary(speakers.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                    let held = split.heldOut.compactMap { e in index[e.speaker].map { (speaker: $0, source: e.source) } }
                    Console.progress("open set: choosing the threshold on \(held.count) held-out enrolment files", quiet: quiet)
                    let heldModels = try await modelsMadeAsEnrolled(
                        split.models, asEnrolled: loaded, ubm: ubmModel, raw: ev.raw,
                        threads: common.threadCount, skipBad: skipBad,
                        role: "enrolment file for the open-set threshold")
                    let order = Dictionary(uniqueKeysWithValues: heldModels.enumerated().map { ($1.speaker, $0) })
                    ev.heldOut = HeldOutTrials(
                        identifier: try Identifier(
                            models: speakers.compactMap { order[$0].map { heldModels[$0] } },
                            ubm: ubmModel, topC: topC),
                        files: held)
                }
            }
        }
        if !mode.usesTNorm { tnormCohort = nil }
        if let calibration, scoring.system == .gmm {
            try calibrationOptions.check(
                calibration, ubm: ubmModel, frontEnd: loaded[0].frontEnd, normalization: mode, models: models,
                tnormCohort: tnormCohort, znormCohort: znormCohort)
        }
        ev.calibration = calibration
        let progress = Progress(total: entries.count, label: "evaluated", quiet: quiet)
        ev.progress = progress.callback
        let r = try await ev.evaluate(entries)
        for s in r.skipped { Console.warn("skipped: \(s.reason)") }
        if json, let note = r.verificationNote, !common.quiet { Console.warn("warning: " + note) }
        for line in Self.narrowBandWarnings(r, options: id.frontEnd.options) where !common.quiet { Console.warn("warning: " + line) }
        if json {
            print(try SpeakerIDCLI.json(encoding: r))
        } else {
            print(Self.textReport(r))
        }
        if let scores {
            var sink = OutputSink(path: scores)
            var header = ScoreFileHeader(
                ubmChecksum: ubmModel?.checksumHex, modelsChecksum: ScoreSystem.checksum(models: loaded),
                scoreNormalization: mode, tnormCohort: tnormCohort, znormCohort: znormCohort)
            header.system = ev.system
            header.encoder = ev.dvector?.encoder.identity.checksum
            // The fusion's file: one score column per system, then the fused LLR.
            let columns: ScoreFile.Columns = ev.system == .fusion ? .fused : ev.calibration != nil ? .calibrated : .timed
            sink.write(ScoreFile(header: header, columns: columns, scores: r.scores).text)
            try sink.finish()
            Console.progress("scores: \(scores) (\(r.scores.count) trials)", quiet: common.quiet)
        }
        if let report {
            var details: [(String, String)] = [
                ("models", models), ("corpus", "\(corpus) (split \(split))"),
                ("speakers", "\(r.speakers.count)"),
                (
                    "scoring",
                    ev.system == .fusion
                        ? "fusion of the GMM-UBM and d-vector systems' calibrated LLRs"
                        : ev.system == .dvector
                            ? "cosine of the speaker encoder's embeddings to the speakers' d-vectors"
                            : background.ubm.map { "log-likelihood ratio against \($0), top-C \(topC)" } ?? "average log-likelihood"
                ),
            ]
            if mode != .none {
                details.append(("score normalisation", "\(mode.rawValue), cohort \(tnormModels.map { "models in \($0)" } ?? cohort ?? "-")"))
            }
            if let t = r.thresholdSource { details.append(("open-set threshold", t)) }
            if r.systems.count > 1 {
                for system in ScoringSystem.allCases {
                    guard let x = r.systems[system] else { continue }
                    let l = x.whole
                    var figures = "whole files: accuracy \(fmt(l.identification.accuracy, 4))"
                    if let v = l.verification { figures += ", EER \(fmt(100 * v.eer, 2))%, minDCF \(fmt(v.minDCF, 4))" }
                    if let c = l.calibration { figures += ", actDCF \(fmt(c.actualDCF, 4)), Cllr \(fmt(c.cllr, 4))" }
                    for seg in x.segments {
                        if let sec = seg.seconds, let v = seg.verification {
                            figures +=
                                "; \(fmt(sec, sec == sec.rounded() ? 0 : 2)) s: accuracy \(fmt(seg.identification.accuracy, 4)), EER \(fmt(100 * v.eer, 2))%"
                        }
                    }
                    details.append(("system \(system.rawValue)", figures))
                }
            }
            details.append(("segment normalisation", r.segmentNormalization.rawValue))
            let html = HTMLReport.render(r, title: "SpeakerID evaluation: \(PathName.lastComponent(corpus))", details: details)
            let path = PathName.join(report, "report.html")
            do {
                try ModelStore(directory: report).prepareDirectory()
                try AtomicFile.write(Array(html.utf8), to: path)
            } catch { throw CLIError("\(path): cannot write the report (\(error))") }
            Console.progress("report: \(path)", quiet: common.quiet)
        }
    }

    /// One line per kind of file (test, impostor) with audio narrower than the models' band.
    static func narrowBandWarnings(_ r: EvaluationReport, options: FrontEndOptions) -> [String] {
        [("test", r.narrowBand.test), ("impostor", r.narrowBand.impostors)].compactMap { role, byRate in
            guard !byRate.isEmpty else { return nil }
            let n = byRate.values.reduce(0, +)
            let rates = byRate.keys.sorted().map { "\($0) Hz" }.joined(separator: ", ")
            return
                "\(n) \(role) file\(n == 1 ? "" : "s") (\(rates)) lack the band above their Nyquist frequency that the models analyse (up to \(Int(options.effectiveHighFrequency)) Hz); their scores are not comparable with full-band audio's"
        }
    }

    static func textReport(_ r: EvaluationReport) -> String {
        let verification = r.whole.verification != nil
        let openSet = r.whole.openSet != nil
        var s =
            "\(r.system == .fusion ? "Fused GMM-UBM + d-vector" : r.system == .dvector ? "d-vector (cosine)" : r.verificationAsked ? "GMM-UBM" : "Closed-set") identification, \(r.speakers.count) enrolled speakers"
        if r.scoreNormalization != .none { s += ", \(r.scoreNormalization.rawValue)" }
        if let note = r.verificationNote { s += "\n" + note }
        s += "\n\ntest length      trials  accuracy"
        if verification { s += "     EER  minDCF  actDCF    Cllr  minCllr" }
        if openSet { s += "   threshold  genuine acc  impostors accepted" }
        s += "\n"
        for l in [r.whole] + r.segments {
            let label = l.seconds.map { fmt($0, $0 == $0.rounded() ? 0 : 2) + " s" } ?? "whole file"
            s += label.padding(toLength: 13, withPad: " ", startingAt: 0) + String(format: "%10d  ", l.identification.trials)
            s += l.identification.trials > 0 ? String(format: "%8.4f", l.identification.accuracy) : "       -"
            if verification {
                s += l.verification.map { String(format: "  %5.2f%%  %6.4f", 100 * $0.eer, $0.minDCF) } ?? "       -       -"
                s += l.calibration.map { String(format: "  %6.4f  %6.4f  %7.4f", $0.actualDCF, $0.cllr, $0.minCllr) } ?? "       -       -        -"
            }
            if let o = l.openSet {
                s += String(
                    format: "   %9.3f  %11.4f  %7.4f (%d/%d)", o.threshold, o.genuineAccuracy, o.impostorAcceptance, o.impostorAccepted,
                    o.impostorTrials)
            }
            s += "\n"
        }
        if let src = r.thresholdSource { s += "threshold: \(src)\n" }
        if r.systems.count > 1 {
            s += "\nsystems side by side (each calibrated by its part of the fusion calibration)\n"
            s += "system   test length      accuracy     EER  minDCF  actDCF    Cllr\n"
            for system in ScoringSystem.allCases {
                guard let x = r.systems[system] else { continue }
                for l in [x.whole] + x.segments {
                    let label = l.seconds.map { fmt($0, $0 == $0.rounded() ? 0 : 2) + " s" } ?? "whole file"
                    s += system.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + label.padding(toLength: 13, withPad: " ", startingAt: 0)
                    s += l.identification.trials > 0 ? String(format: "  %8.4f", l.identification.accuracy) : "         -"
                    s += l.verification.map { String(format: "  %5.2f%%  %6.4f", 100 * $0.eer, $0.minDCF) } ?? "       -       -"
                    s += l.calibration.map { String(format: "  %6.4f  %6.4f", $0.actualDCF, $0.cllr) } ?? "       -       -"
                    s += "\n"
                }
            }
        }
        s += "\nper speaker (whole files)\n"
        let w = min(24, max(7, r.speakers.map(\.count).max() ?? 7))
        for sp in r.speakers {
            guard let a = r.perSpeaker[sp] else { continue }
            s += sp.padding(toLength: w, withPad: " ", startingAt: 0) + String(format: "  %4d/%-4d  %6.4f", a.correct, a.trials, a.accuracy) + "\n"
        }
        s += "\nconfusion matrix (rows: true speaker, columns: identified)\n"
        let labels = r.speakers.enumerated().map { "\($0.offset + 1)" }
        s += String(repeating: " ", count: w + 4) + labels.map { $0.padding(toLength: 4, withPad: " ", startingAt: 0) }.joined() + "\n"
        for (i, sp) in r.speakers.enumerated() {
            s += "\(i + 1) \(sp)".padding(toLength: w + 4, withPad: " ", startingAt: 0)
            s += r.confusion[i].map { ($0 == 0 ? "." : "\($0)").padding(toLength: 4, withPad: " ", startingAt: 0) }.joined() + "\n"
        }
        s += "\n\(fmt(r.seconds, 2)) s"
        return s
    }
}
