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

    struct Answer: Sendable {
        var file: String
        var score: Double
        var rawScore: Double
        var speechFrames: Int
        var warning: String?
        var decision: Decision
    }

    func run() async throws {
        if scoring.system == .dvector { return try await runDVector() }
        if scoring.system == .fusion { return try await runFusion() }
        guard let ubm = background.ubm, let ubmModel = try background.load() else { return }
        let name = try SpeakerName(speaker)
        let store = ModelStore(directory: models)
        let model = try store.load(name)
        guard model.ubm?.matches(ubmModel) ?? false else {
            throw CLIError("\(models): speaker \(model.speaker.debugDescription) was not adapted from \(ubm) (enrol with --ubm \(ubm))")
        }
        _ = try frontEnd.check(against: model.frontEnd)
        let (scorer, cohort) = try normalization.scorer(models: [model], ubm: ubmModel, topC: background.topC)
        let normalized = normalization.tnormModels != nil
        let sources = try input.sources(quiet: common.quiet)
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let options = scorer.frontEnd.options
        let calibration = try calibrationOptions.load(
            ubm: ubmModel, frontEnd: model.frontEnd,
            normalization: normalized ? .tnorm : .none, models: models,
            tnormCohort: cohort)
        // Given, else the Bayes threshold of calibrated LLRs, else 0 for raw ratios.
        let rule = DecisionRule.verification(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        let costs = rule.costs
        let enrol = model.training.speechSeconds
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i -> Answer in
            let r = try scorer.scores(sources[i], raw: raw, chunkSeconds: chunk)
            let score = r.decision[0]
            let name = sources[i].description
            let speech = Double(r.speechFrames) * options.framing.frameShiftMs / 1000
            return Answer(
                file: name, score: score, rawScore: r.raw[0], speechFrames: r.speechFrames,
                warning: options.narrowBandWarning(name, sourceRate: r.sourceSampleRate),
                decision: rule.decide(score: score, speechSeconds: speech, enrolSeconds: enrol))
        }
        let shift = options.framing.frameShiftMs / 1000
        var failed = 0
        for (i, outcome) in results.enumerated() {
            guard case .done(let a) = outcome else {
                if case .failed(let message) = outcome { Console.warn(message) }
                if input.json { print(SpeakerIDCLI.json(["file": sources[i].description, "error": outcome.failureMessage])) }
                failed += 1
                continue
            }
            if let warning = a.warning, !common.quiet { Console.warn("warning: " + warning) }
            let speech = Double(a.speechFrames) * shift
            let decision = a.decision.outcome
            if input.json {
                var o: [String: Any] = [
                    "file": a.file, "speaker": model.speaker, "score": a.score, "threshold": rule.threshold ?? 0,
                    "accept": decision == .accepted, "decision": decision.rawValue, "speech_seconds": speech,
                    "score_normalization": normalized ? "tnorm" : "none", "system": ScoringSystem.gmm.rawValue,
                ]
                if normalized { o["raw_score"] = a.rawScore }
                if let l = a.decision.llr {
                    o["llr"] = l
                    o["posterior"] = costs.posterior(llr: l)
                    o["prior"] = costs.prior
                }
                if decision == .tooShort { o["min_speech_seconds"] = input.minSpeech }
                if let w = a.warning { o["warning"] = w }
                print(SpeakerIDCLI.json(o))
            } else {
                let verdict = decision == .tooShort ? "<too short>" : decision == .accepted ? "accept" : "reject"
                print(
                    "\(a.file)\t\(model.speaker)\t\(fmt(a.score, 4))\t\(verdict)\t\(fmt(speech, 2)) s of speech"
                        + (a.decision.llr.map { "\tLLR \(fmt($0, 3)), posterior \(fmt(costs.posterior(llr: $0), 4))" } ?? ""))
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }

    /// verify --system dvector: the cosine of each clip's embedding with the speaker's
    /// d-vector, accepted at --threshold.
    func runDVector() async throws {
        let model = try ModelStore(directory: models).load(try SpeakerName(speaker))
        guard let encoder = try scoring.encoderOptions.load(required: true) else { return }
        let scorer = try DVectorScorer(encoder: encoder, models: [model], folder: models)
        let calibration = try calibrationOptions.loadForDVectors(encoder: encoder, frontEnd: model.frontEnd, models: models)
        let rule = DecisionRule.verification(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        let costs = rule.costs
        let enrol = model.training.speechSeconds
        let sources = try input.sources(quiet: common.quiet)
        let raw = try rawAudio.format()
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i -> (SpeakerEmbedding, Decision) in
            let e = try encoder.embedding(of: sources[i], raw: raw)
            return (e, rule.decide(score: scorer.scores(e)[0], speechSeconds: e.speechSeconds, enrolSeconds: enrol))
        }
        var failed = 0
        for (i, outcome) in results.enumerated() {
            guard case .done(let (e, d)) = outcome else {
                if case .failed(let message) = outcome { Console.warn(message) }
                if input.json { print(SpeakerIDCLI.json(["file": sources[i].description, "error": outcome.failureMessage])) }
                failed += 1
                continue
            }
            let file = sources[i].description
            if input.json {
                var o: [String: Any] = [
                    "file": file, "speaker": model.speaker, "score": d.score, "threshold": rule.threshold ?? 0,
                    "accept": d.outcome == .accepted, "decision": d.outcome.rawValue, "speech_seconds": e.speechSeconds,
                    "score_normalization": "none", "system": ScoringSystem.dvector.rawValue,
                ]
                if d.outcome == .tooShort { o["min_speech_seconds"] = input.minSpeech }
                if let l = d.llr {
                    o["llr"] = l
                    o["posterior"] = costs.posterior(llr: l)
                    o["prior"] = costs.prior
                }
                print(SpeakerIDCLI.json(o))
            } else {
                let verdict = d.outcome == .tooShort ? "<too short>" : d.outcome == .accepted ? "accept" : "reject"
                print(
                    "\(file)\t\(model.speaker)\tcosine \(fmt(d.score, 4))\t\(verdict)\t\(fmt(e.speechSeconds, 2)) s of speech"
                        + (d.llr.map { "\tLLR \(fmt($0, 3)), posterior \(fmt(costs.posterior(llr: $0), 4))" } ?? ""))
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }

    /// verify --system fusion: the claimed speaker's GMM score and d-vector cosine of each clip,
    /// fused into one calibrated LLR, accepted at --threshold or the Bayes threshold.
    func runFusion() async throws {
        guard let ubm = background.ubm, let ubmModel = try background.load(), let calibrationPath = calibrationOptions.calibration else { return }
        let model = try ModelStore(directory: models).load(try SpeakerName(speaker))
        guard model.ubm?.matches(ubmModel) ?? false else {
            throw CLIError("\(models): speaker \(model.speaker.debugDescription) was not adapted from \(ubm) (enrol with --ubm \(ubm))")
        }
        _ = try frontEnd.check(against: model.frontEnd)
        guard let encoder = try scoring.encoderOptions.load(required: true) else { return }
        let fused: FusedScorer
        do {
            fused = try FusedScorer(
                models: [model], ubm: ubmModel, encoder: encoder, calibration: try Calibration.load(path: calibrationPath),
                folder: models, topC: background.topC)
        } catch let e as CalibrationError { throw CLIError("\(calibrationPath): \(e)") }
        let costs = calibrationOptions.costs
        let rule = DecisionRule.onCalibratedLLRs(threshold: threshold, costs: costs, minimumSpeechSeconds: input.minSpeech)
        let sources = try input.sources(quiet: common.quiet)
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i -> (FusedScorer.Scores, Decision) in
            let r = try fused.scores(sources[i], raw: raw, chunkSeconds: chunk)
            return (r, rule.decide(score: r.speakers[0].llr, speechSeconds: r.speechSeconds, enrolSeconds: 0))
        }
        var failed = 0
        for (i, outcome) in results.enumerated() {
            guard case .done(let (r, d)) = outcome else {
                if case .failed(let message) = outcome { Console.warn(message) }
                if input.json { print(SpeakerIDCLI.json(["file": sources[i].description, "error": outcome.failureMessage])) }
                failed += 1
                continue
            }
            let file = sources[i].description, s = r.speakers[0]
            if input.json {
                var o: [String: Any] = [
                    "file": file, "speaker": model.speaker, "score": s.gmm, "dvector_score": s.cosine, "threshold": rule.threshold ?? 0,
                    "accept": d.outcome == .accepted, "decision": d.outcome.rawValue, "speech_seconds": r.speechSeconds,
                    "score_normalization": "none", "system": ScoringSystem.fusion.rawValue,
                ]
                if d.outcome == .tooShort {
                    o["min_speech_seconds"] = input.minSpeech
                } else {
                    o["llr"] = s.llr
                    o["posterior"] = costs.posterior(llr: s.llr)
                    o["prior"] = costs.prior
                }
                print(SpeakerIDCLI.json(o))
            } else {
                let verdict = d.outcome == .tooShort ? "<too short>" : d.outcome == .accepted ? "accept" : "reject"
                print(
                    "\(file)\t\(model.speaker)\tLLR \(fmt(s.llr, 3))\t\(verdict)\t\(fmt(r.speechSeconds, 2)) s of speech\t(gmm \(fmt(s.gmm, 4)), cosine \(fmt(s.cosine, 4)), posterior \(fmt(costs.posterior(llr: s.llr), 4)))"
                )
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }
}
