import ArgumentParser
import Foundation
import SpeakerID

struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Name the enrolled speaker of each clip; with --ubm and --threshold, or '<unknown>'.",
        discussion: """
            Without a UBM the score is the average per-frame log-likelihood (closed set: the best \
            speaker is always named). With --ubm it is the average log-likelihood ratio against the \
            UBM, and --threshold T answers '<unknown>' (JSON: "decision": "rejected", "speaker": null) \
            when the best score is below T. With --tnorm-models DIR the ranking stays by \
            log-likelihood ratio, "score" is the T-normed score the threshold applies to and \
            "raw_score" the ratio. A clip with less speech than --min-speech is answered '<too \
            short>' ("decision": "too_short"). Every clip is reported: a clip that cannot be read \
            gets one line on standard error (and {"file", "error"} with --json) and the exit status \
            is 1, unless --skip-bad. An AUDIO of '-' reads the clip from standard input.
            """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @OptionGroup var background: UBMArguments
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "With --ubm: answer '<unknown>' when the best (T-normed, with --tnorm-models) score is below this; may be negative.", valueName: "T"))
    var threshold: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Speakers listed per clip, best first.", valueName: "n"))
    var top = 5
    @OptionGroup var scoring: SystemArguments
    @OptionGroup var normalization: TNormArguments
    @OptionGroup var calibrationOptions: CalibrationArguments
    @OptionGroup var input: ClipArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if scoring.system == .fusion {
            if background.ubm == nil || calibrationOptions.calibration == nil || normalization.tnormModels != nil {
                throw ValidationError("--system fusion needs --ubm and --calibration (calibrate --system fusion), and takes no --tnorm-models")
            }
        }
        if scoring.system == .dvector {
            if background.ubm != nil || normalization.tnormModels != nil {
                throw ValidationError("--system dvector scores by the encoder's cosine: it takes no --ubm or --tnorm-models")
            }
            if let t = threshold, calibrationOptions.calibration == nil, !(-1...1).contains(t) {
                throw ValidationError("--threshold with --system dvector is a cosine, between -1 and 1 (with --calibration, an LLR)")
            }
        }
        if let t = threshold, !t.isFinite { throw ValidationError("--threshold must be a finite number") }
        if threshold != nil && background.ubm == nil && calibrationOptions.calibration == nil && scoring.system == .gmm {
            throw ValidationError("--threshold needs --ubm (log-likelihood-ratio scores) or --calibration")
        }
        if normalization.tnormModels != nil && background.ubm == nil { throw ValidationError("--tnorm-models needs --ubm") }
        try calibrationOptions.refuseDecisionOptionsWithoutCalibration()
    }

    func run() async throws {
        let identification: ClipIdentification
        switch scoring.system {
        case .gmm: identification = try gmmIdentification()
        case .dvector: identification = try dvectorIdentification()
        case .fusion: identification = try fusionIdentification()
        }
        let sources = try input.sources(quiet: common.quiet)
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i in
            try identification.answer(sources[i], raw: raw, chunkSeconds: chunk)
        }
        var failed = 0
        for (i, outcome) in results.enumerated() {
            guard case .done(let a) = outcome else {
                if case .failed(let message) = outcome { Console.warn(message) }
                if input.json { print(SpeakerIDCLI.json(["file": sources[i].description, "error": outcome.failureMessage])) }
                failed += 1
                continue
            }
            if let warning = a.warning, !common.quiet { Console.warn("warning: " + warning) }
            if input.json {
                print(SpeakerIDCLI.json(answer: a))
                continue
            }
            let decision = a.outcome
            print(
                "\(a.file)\t\(decision.text(speaker: a.ranking[0].speaker))\t\(fmt(a.speechSeconds, 2)) s of speech"
                    + (decision == .tooShort ? " (less than \(fmt(input.minSpeech, 2)) s)" : ""))
            if decision == .tooShort { continue }
            for (k, e) in a.ranking.enumerated() {
                let calibrated = e.llr.flatMap { l in e.posterior.map { "LLR \(fmt(l, 3)), posterior \(fmt($0, 4))" } }
                switch a.system {
                case .gmm:
                    print(
                        "  \(k + 1). \(e.speaker)\t\(fmt(e.score, 4))" + (e.rawScore.map { "\t(raw \(fmt($0, 4)))" } ?? "")
                            + (calibrated.map { "\t" + $0 } ?? ""))
                case .dvector:
                    print("  \(k + 1). \(e.speaker)\tcosine \(fmt(e.score, 4))" + (calibrated.map { "\t" + $0 } ?? ""))
                case .fusion:
                    print("  \(k + 1). \(e.speaker)\t\(calibrated ?? "")\t(gmm \(fmt(e.score, 4)), cosine \(fmt(e.dvectorScore ?? 0, 4)))")
                }
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }

    /// identify (--system gmm): each clip's log-likelihood (ratio against the UBM, T-normed
    /// with --tnorm-models) under every model, decided by the threshold or the calibration.
    func gmmIdentification() throws -> ClipIdentification {
        let ubmModel = try background.load()
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let (scorer, cohort) = try normalization.scorer(models: loaded, ubm: ubmModel, topC: background.topC)
        let normalized = normalization.tnormModels != nil
        let calibration = try calibrationOptions.load(
            ubm: ubmModel, frontEnd: loaded[0].frontEnd,
            normalization: normalized ? .tnorm : .none, models: models,
            tnormCohort: cohort)
        // The decision threshold: given, else the Bayes threshold of calibrated LLRs, else
        // none (closed set: the best speaker is always named).
        let rule = DecisionRule(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        let enrolled = loaded.map(\.speaker)
        if enrolled.count == 1 && !rule.isOpenSet && !common.quiet {
            Console.warn(
                "warning: \(models) holds one speaker, \(enrolled[0].debugDescription), and without --threshold or --calibration every clip is named them (closed set); give --ubm with --threshold or --calibration to reject other voices"
            )
        }
        return ClipIdentification(scorer: .gmm(scorer, normalized: normalized), rule: rule, top: top, models: loaded)
    }

    /// identify --system dvector: each clip's embedding against every speaker's d-vector; the
    /// ranking and decision by cosine (closed set, or --threshold on the cosine).
    func dvectorIdentification() throws -> ClipIdentification {
        let loaded = try ModelStore(directory: models).loadAll(ubm: nil, checkingUBM: false)
        guard let encoder = try scoring.encoderOptions.load(required: true) else { throw ExitCode.failure }
        let scorer = try DVectorScorer(encoder: encoder, models: loaded, folder: models)
        let calibration = try calibrationOptions.loadForDVectors(encoder: encoder, frontEnd: loaded[0].frontEnd, models: models)
        let rule = DecisionRule(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        let enrolled = scorer.speakers
        if enrolled.count == 1 && !rule.isOpenSet && !common.quiet {
            Console.warn(
                "warning: \(models) holds one speaker, \(enrolled[0].debugDescription), and without --threshold every clip is named them (closed set); give --threshold to reject other voices"
            )
        }
        return ClipIdentification(scorer: .dvector(scorer), rule: rule, top: top, models: loaded)
    }

    /// identify --system fusion: each clip scored by the GMMs against the UBM and by the
    /// encoder, each speaker's two scores fused into one calibrated LLR (`FusedScorer`),
    /// ranked and decided by it.
    func fusionIdentification() throws -> ClipIdentification {
        guard let ubmModel = try background.load() else { throw ExitCode.failure }
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        guard let encoder = try scoring.encoderOptions.load(required: true),
            let calibrationPath = calibrationOptions.calibration
        else { throw ExitCode.failure }
        let fused: FusedScorer
        do {
            fused = try FusedScorer(
                models: loaded, ubm: ubmModel, encoder: encoder, calibration: try Calibration.load(path: calibrationPath),
                folder: models, topC: background.topC)
        } catch let e as CalibrationError { throw CLIError("\(calibrationPath): \(e)") }
        // The fused LLRs are the scores decided on: at --threshold, else the Bayes threshold.
        let rule = DecisionRule.onCalibratedLLRs(threshold: threshold, costs: calibrationOptions.costs, minimumSpeechSeconds: input.minSpeech)
        return ClipIdentification(scorer: .fusion(fused), rule: rule, top: top, models: loaded)
    }
}
