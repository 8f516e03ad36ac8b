import ArgumentParser
import Foundation
import SpeakerID

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Is this speaker X? The log-likelihood-ratio score and accept/reject per clip.",
        discussion: """
            The score is the average log-likelihood ratio of the speaker's MAP-adapted model \
            against the UBM; a clip is accepted when it is at least --threshold (default 0: more \
            likely the speaker than anyone). With --tnorm-models DIR the score is T-normed against \
            those models ("raw_score" is the ratio) and --threshold must be given: T-normed scores \
            have another scale (evaluate --score-norm tnorm reports the EER threshold). A clip with \
            less speech than --min-speech is neither accepted nor identified: "decision": "too_short". \
            Every clip is reported; one that cannot be read gets one line on standard error and the \
            exit status is 1, unless --skip-bad.
            """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @OptionGroup var background: UBMArguments
    @Option(help: ArgumentHelp("The claimed speaker.", valueName: "name"))
    var speaker: String
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Accept when the score is at least this; may be negative (default: 0 for log-likelihood ratios; required with --tnorm-models).",
            valueName: "T"))
    var threshold: Double?
    @OptionGroup var scoring: SystemArguments
    @OptionGroup var normalization: TNormArguments
    @OptionGroup var calibrationOptions: CalibrationArguments
    @OptionGroup var input: ClipArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if scoring.system == .fusion {
            if background.ubm == nil || calibrationOptions.calibration == nil || normalization.tnormModels != nil {
                throw ValidationError("--system fusion needs --ubm and --calibration (calibrate --system fusion), and takes no --tnorm-models")
            }
            return
        }
        if scoring.system == .dvector {
            if background.ubm != nil || normalization.tnormModels != nil {
                throw ValidationError("--system dvector scores by the encoder's cosine: it takes no --ubm or --tnorm-models")
            }
            if calibrationOptions.calibration != nil { return }  // LLRs, decided at --threshold or the Bayes threshold
            guard let t = threshold else {
                throw ValidationError(
                    "--system dvector needs --threshold (the cosine at which a claim is accepted) or --calibration (calibrate --scores on evaluate --system dvector's scores)"
                )
            }
            if !(-1...1).contains(t) { throw ValidationError("--threshold with --system dvector is a cosine, between -1 and 1") }
            return
        }
        if background.ubm == nil { throw ValidationError("verify needs --ubm FILE: scores are log-likelihood ratios against the UBM") }
        if let t = threshold, !t.isFinite { throw ValidationError("--threshold must be a finite number") }
        if normalization.tnormModels != nil && threshold == nil && calibrationOptions.calibration == nil {
            throw ValidationError(
                "--tnorm-models needs --threshold or --calibration: T-normed scores have another scale than the default threshold 0 is meant for (evaluate --score-norm tnorm reports the EER threshold; a calibration gives the Bayes threshold)"
            )
        }
        try calibrationOptions.refuseDecisionOptionsWithoutCalibration()
    }

    func run() async throws {
        let verification: ClipVerification
        switch scoring.system {
        case .gmm: verification = try gmmVerification()
        case .dvector: verification = try dvectorVerification()
        case .fusion: verification = try fusionVerification()
        }
        let sources = try input.sources(quiet: common.quiet)
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i in
            try verification.answer(sources[i], raw: raw, chunkSeconds: chunk)
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
            let verdict = a.outcome == .tooShort ? "<too short>" : a.outcome == .accepted ? "accept" : "reject"
            let calibrated = a.llr.flatMap { l in a.posterior.map { "LLR \(fmt(l, 3)), posterior \(fmt($0, 4))" } }
            switch a.system {
            case .gmm:
                print(
                    "\(a.file)\t\(a.speaker)\t\(fmt(a.score, 4))\t\(verdict)\t\(fmt(a.speechSeconds, 2)) s of speech"
                        + (calibrated.map { "\t" + $0 } ?? ""))
            case .dvector:
                print(
                    "\(a.file)\t\(a.speaker)\tcosine \(fmt(a.score, 4))\t\(verdict)\t\(fmt(a.speechSeconds, 2)) s of speech"
                        + (calibrated.map { "\t" + $0 } ?? ""))
            case .fusion:
                // The fused LLR is shown even when too short (the JSON leaves it out then).
                let llr = a.llr ?? 0
                print(
                    "\(a.file)\t\(a.speaker)\tLLR \(fmt(llr, 3))\t\(verdict)\t\(fmt(a.speechSeconds, 2)) s of speech\t(gmm \(fmt(a.score, 4)), cosine \(fmt(a.dvectorScore ?? 0, 4)), posterior \(fmt(verification.rule.costs.posterior(llr: llr), 4)))"
                )
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }

    /// verify (--system gmm): the claimed speaker's log-likelihood ratio against the UBM
    /// (T-normed with --tnorm-models), accepted at --threshold, the calibration's Bayes
    /// threshold, or 0.
    func gmmVerification() throws -> ClipVerification {
        guard let ubm = background.ubm, let ubmModel = try background.load() else { throw ExitCode.failure }
        let name = try SpeakerName(speaker)
        let store = ModelStore(directory: models)
        let model = try store.load(name)
        guard model.ubm?.matches(ubmModel) ?? false else {
            throw CLIError("\(models): speaker \(model.speaker.debugDescription) was not adapted from \(ubm) (enrol with --ubm \(ubm))")
        }
        _ = try frontEnd.check(against: model.frontEnd)
        let (scorer, cohort) = try normalization.scorer(models: [model], ubm: ubmModel, topC: background.topC)
        let normalized = normalization.tnormModels != nil
        let calibration = try calibrationOptions.load(
            ubm: ubmModel, frontEnd: model.frontEnd,
            normalization: normalized ? .tnorm : .none, models: models,
            tnormCohort: cohort)
        // Given, else the Bayes threshold of calibrated LLRs, else 0 for raw ratios.
        let rule = DecisionRule.verification(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        return ClipVerification(scorer: .gmm(scorer, normalized: normalized), rule: rule, model: model)
    }

    /// verify --system dvector: the cosine of each clip's embedding with the speaker's
    /// d-vector, accepted at --threshold.
    func dvectorVerification() throws -> ClipVerification {
        let model = try ModelStore(directory: models).load(try SpeakerName(speaker))
        guard let encoder = try scoring.encoderOptions.load(required: true) else { throw ExitCode.failure }
        let scorer = try DVectorScorer(encoder: encoder, models: [model], folder: models)
        let calibration = try calibrationOptions.loadForDVectors(encoder: encoder, frontEnd: model.frontEnd, models: models)
        let rule = DecisionRule.verification(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        return ClipVerification(scorer: .dvector(scorer), rule: rule, model: model)
    }

    /// verify --system fusion: the claimed speaker's GMM score and d-vector cosine of each clip,
    /// fused into one calibrated LLR, accepted at --threshold or the Bayes threshold.
    func fusionVerification() throws -> ClipVerification {
        guard let ubm = background.ubm, let ubmModel = try background.load(), let calibrationPath = calibrationOptions.calibration else {
            throw ExitCode.failure
        }
        let model = try ModelStore(directory: models).load(try SpeakerName(speaker))
        guard model.ubm?.matches(ubmModel) ?? false else {
            throw CLIError("\(models): speaker \(model.speaker.debugDescription) was not adapted from \(ubm) (enrol with --ubm \(ubm))")
        }
        _ = try frontEnd.check(against: model.frontEnd)
        guard let encoder = try scoring.encoderOptions.load(required: true) else { throw ExitCode.failure }
        let fused: FusedScorer
        do {
            fused = try FusedScorer(
                models: [model], ubm: ubmModel, encoder: encoder, calibration: try Calibration.load(path: calibrationPath),
                folder: models, topC: background.topC)
        } catch let e as CalibrationError { throw CLIError("\(calibrationPath): \(e)") }
        let rule = DecisionRule.onCalibratedLLRs(threshold: threshold, costs: calibrationOptions.costs, minimumSpeechSeconds: input.minSpeech)
        return ClipVerification(scorer: .fusion(fused), rule: rule, model: model)
    }
}
