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

    /// One clip's answer: the ranking (with T-normed scores when asked) and the decision.
    struct Answer: Sendable {
        var file: String
        var speechFrames: Int
        var ranking: [(SpeakerScore, Double?)]
        var warning: String?
        /// Calibrated LLRs of the ranked speakers, with --calibration.
        var llrs: [Double]?
        /// The decision on the best-ranked speaker.
        var decision: Decision
    }

    func run() async throws {
        if scoring.system == .dvector { return try await runDVector() }
        if scoring.system == .fusion { return try await runFusion() }
        let ubmModel = try background.load()
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let (scorer, cohort) = try normalization.scorer(models: loaded, ubm: ubmModel, topC: background.topC)
        let normalized = normalization.tnormModels != nil
        let calibration = try calibrationOptions.load(
            ubm: ubmModel, frontEnd: loaded[0].frontEnd,
            normalization: normalized ? .tnorm : .none, models: models,
            tnormCohort: cohort)
        let enrolSeconds = Dictionary(uniqueKeysWithValues: loaded.map { ($0.speaker, $0.training.speechSeconds) })
        // The decision threshold: given, else the Bayes threshold of calibrated LLRs, else
        // none (closed set: the best speaker is always named).
        let rule = DecisionRule(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        let costs = rule.costs
        let enrolled = loaded.map(\.speaker)
        if enrolled.count == 1 && !rule.isOpenSet && !common.quiet {
            Console.warn(
                "warning: \(models) holds one speaker, \(enrolled[0].debugDescription), and without --threshold or --calibration every clip is named them (closed set); give --ubm with --threshold or --calibration to reject other voices"
            )
        }
        let sources = try input.sources(quiet: common.quiet)
        let n = top
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let options = scorer.frontEnd.options
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i -> Answer in
            let r = try scorer.scores(sources[i], raw: raw, chunkSeconds: chunk)
            let byName = Dictionary(uniqueKeysWithValues: zip(enrolled, r.decision))
            let name = sources[i].description
            let speech = Double(r.speechFrames) * options.framing.frameShiftMs / 1000
            // Ranked by what the decision compares with its threshold: the calibrated LLR (which
            // depends on each speaker's enrolment too), else the normalised score, else the raw
            // one; ties keep the raw order. The first is the speaker named.
            let entries = Identifier.rank(speakers: enrolled, scores: r.raw).map { e -> (entry: (SpeakerScore, Double?), llr: Double?) in
                let normalized = r.normalized == nil ? nil : byName[e.speaker]
                let llr = rule.llr(score: normalized ?? e.score, speechSeconds: speech, enrolSeconds: enrolSeconds[e.speaker] ?? 0)
                return ((e, normalized), llr)
            }
            let ordered = entries.enumerated().sorted { a, b in
                let x = a.element.llr ?? a.element.entry.1 ?? a.element.entry.0.score
                let y = b.element.llr ?? b.element.entry.1 ?? b.element.entry.0.score
                return x != y ? x > y : a.offset < b.offset
            }.prefix(n).map(\.element)
            let ranking = ordered.map(\.entry)
            let llrs = rule.calibration == nil ? nil : ordered.map { $0.llr ?? 0 }
            let (best, bestNormalized) = ranking[0]
            let decision = rule.decide(score: bestNormalized ?? best.score, speechSeconds: speech, enrolSeconds: enrolSeconds[best.speaker] ?? 0)
            return Answer(
                file: name, speechFrames: r.speechFrames, ranking: ranking,
                warning: options.narrowBandWarning(name, sourceRate: r.sourceSampleRate), llrs: llrs, decision: decision)
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
            let best = a.ranking[0].0
            let decision = a.decision.outcome
            if input.json {
                var o: [String: Any] = [
                    "file": a.file, "speaker": decision.namesSpeaker ? best.speaker : NSNull(),
                    "decision": decision.rawValue, "speech_seconds": speech,
                ]
                if decision != .tooShort {
                    o["ranking"] = a.ranking.enumerated().map { k, rt -> [String: Any] in
                        let (r, t) = rt
                        var e: [String: Any] = ["speaker": r.speaker, "score": t ?? r.score]
                        if t != nil { e["raw_score"] = r.score }
                        if let l = a.llrs?[k] {
                            e["llr"] = l
                            e["posterior"] = costs.posterior(llr: l)
                        }
                        return e
                    }
                    if let l = a.decision.llr {
                        o["llr"] = l
                        o["posterior"] = costs.posterior(llr: l)
                        o["prior"] = costs.prior
                    }
                } else {
                    o["min_speech_seconds"] = input.minSpeech
                }
                if let threshold = rule.threshold { o["threshold"] = threshold }
                o["score_normalization"] = normalized ? "tnorm" : "none"
                o["system"] = ScoringSystem.gmm.rawValue
                if let w = a.warning { o["warning"] = w }
                print(SpeakerIDCLI.json(o))
            } else {
                print(
                    "\(a.file)\t\(decision.text(speaker: best.speaker))\t\(fmt(speech, 2)) s of speech"
                        + (decision == .tooShort ? " (less than \(fmt(input.minSpeech, 2)) s)" : ""))
                if decision == .tooShort { continue }
                for (i, (r, t)) in a.ranking.enumerated() {
                    print(
                        "  \(i + 1). \(r.speaker)\t\(fmt(t ?? r.score, 4))" + (t != nil ? "\t(raw \(fmt(r.score, 4)))" : "")
                            + (a.llrs.map { "\tLLR \(fmt($0[i], 3)), posterior \(fmt(costs.posterior(llr: $0[i]), 4))" } ?? ""))
                }
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }

    /// identify --system dvector: each clip's embedding against every speaker's d-vector; the
    /// ranking and decision by cosine (closed set, or --threshold on the cosine).
    func runDVector() async throws {
        let loaded = try ModelStore(directory: models).loadAll(ubm: nil, checkingUBM: false)
        guard let encoder = try scoring.encoderOptions.load(required: true) else { return }
        let scorer = try DVectorScorer(encoder: encoder, models: loaded, folder: models)
        let calibration = try calibrationOptions.loadForDVectors(encoder: encoder, frontEnd: loaded[0].frontEnd, models: models)
        let rule = DecisionRule(
            calibration: calibration, threshold: threshold, costs: calibrationOptions.costs,
            minimumSpeechSeconds: input.minSpeech)
        let costs = rule.costs
        let enrolSeconds = Dictionary(uniqueKeysWithValues: loaded.map { ($0.speaker, $0.training.speechSeconds) })
        let enrolled = scorer.speakers
        if enrolled.count == 1 && !rule.isOpenSet && !common.quiet {
            Console.warn(
                "warning: \(models) holds one speaker, \(enrolled[0].debugDescription), and without --threshold every clip is named them (closed set); give --threshold to reject other voices"
            )
        }
        let sources = try input.sources(quiet: common.quiet)
        let raw = try rawAudio.format()
        let n = top
        let results = try await batchMap(count: sources.count, threads: common.threadCount) {
            i -> (SpeakerEmbedding, [(SpeakerScore, Double?)], Decision) in
            let e = try encoder.embedding(of: sources[i], raw: raw)
            // Ranked by what the decision compares: the calibrated LLR (which depends on each
            // speaker's enrolment), else the cosine; ties keep the cosine order.
            let entries = Identifier.rank(speakers: enrolled, scores: scorer.scores(e)).map { r in
                (r, rule.llr(score: r.score, speechSeconds: e.speechSeconds, enrolSeconds: enrolSeconds[r.speaker] ?? 0))
            }
            let ranking = entries.enumerated().sorted { a, b in
                let x = a.element.1 ?? a.element.0.score, y = b.element.1 ?? b.element.0.score
                return x != y ? x > y : a.offset < b.offset
            }.prefix(n).map(\.element)
            let best = ranking[0].0
            return (e, ranking, rule.decide(score: best.score, speechSeconds: e.speechSeconds, enrolSeconds: enrolSeconds[best.speaker] ?? 0))
        }
        var failed = 0
        for (i, outcome) in results.enumerated() {
            guard case .done(let (e, ranking, decision)) = outcome else {
                if case .failed(let message) = outcome { Console.warn(message) }
                if input.json { print(SpeakerIDCLI.json(["file": sources[i].description, "error": outcome.failureMessage])) }
                failed += 1
                continue
            }
            let best = ranking[0].0
            let name = sources[i].description
            if input.json {
                var o: [String: Any] = [
                    "file": name, "speaker": decision.outcome.namesSpeaker ? best.speaker : NSNull(),
                    "decision": decision.outcome.rawValue, "speech_seconds": e.speechSeconds,
                    "system": ScoringSystem.dvector.rawValue, "score_normalization": "none",
                ]
                if decision.outcome != .tooShort {
                    o["ranking"] = ranking.map { r, l -> [String: Any] in
                        var entry: [String: Any] = ["speaker": r.speaker, "score": r.score]
                        if let l {
                            entry["llr"] = l
                            entry["posterior"] = costs.posterior(llr: l)
                        }
                        return entry
                    }
                    if let l = decision.llr {
                        o["llr"] = l
                        o["posterior"] = costs.posterior(llr: l)
                        o["prior"] = costs.prior
                    }
                } else {
                    o["min_speech_seconds"] = input.minSpeech
                }
                if let t = rule.threshold { o["threshold"] = t }
                print(SpeakerIDCLI.json(o))
            } else {
                let outcome = decision.outcome
                print(
                    "\(name)\t\(outcome.text(speaker: best.speaker))\t\(fmt(e.speechSeconds, 2)) s of speech"
                        + (outcome == .tooShort ? " (less than \(fmt(input.minSpeech, 2)) s)" : ""))
                if outcome == .tooShort { continue }
                for (k, (r, l)) in ranking.enumerated() {
                    print(
                        "  \(k + 1). \(r.speaker)\tcosine \(fmt(r.score, 4))"
                            + (l.map { "\tLLR \(fmt($0, 3)), posterior \(fmt(costs.posterior(llr: $0), 4))" } ?? ""))
                }
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }

    /// identify --system fusion: each clip scored by the GMMs against the UBM and by the
    /// encoder, each speaker's two scores fused into one calibrated LLR (`FusedScorer`),
    /// ranked and decided by it.
    func runFusion() async throws {
        guard let ubmModel = try background.load() else { return }
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        guard let encoder = try scoring.encoderOptions.load(required: true),
            let calibrationPath = calibrationOptions.calibration
        else { return }
        let fused: FusedScorer
        do {
            fused = try FusedScorer(
                models: loaded, ubm: ubmModel, encoder: encoder, calibration: try Calibration.load(path: calibrationPath),
                folder: models, topC: background.topC)
        } catch let e as CalibrationError { throw CLIError("\(calibrationPath): \(e)") }
        let costs = calibrationOptions.costs
        // The fused LLRs are the scores decided on: at --threshold, else the Bayes threshold.
        let rule = DecisionRule.onCalibratedLLRs(threshold: threshold, costs: costs, minimumSpeechSeconds: input.minSpeech)
        let sources = try input.sources(quiet: common.quiet)
        let raw = try rawAudio.format()
        let chunk = input.chunkSeconds
        let n = top
        typealias Entry = FusedScorer.SpeakerScores
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i -> (Double, [Entry], Decision) in
            let r = try fused.scores(sources[i], raw: raw, chunkSeconds: chunk)
            let ranking = r.speakers.enumerated().sorted { a, b in
                a.element.llr != b.element.llr ? a.element.llr > b.element.llr : a.offset < b.offset
            }.prefix(n).map(\.element)
            return (r.speechSeconds, ranking, rule.decide(score: ranking[0].llr, speechSeconds: r.speechSeconds, enrolSeconds: 0))
        }
        var failed = 0
        for (i, outcome) in results.enumerated() {
            guard case .done(let (speech, ranking, decision)) = outcome else {
                if case .failed(let message) = outcome { Console.warn(message) }
                if input.json { print(SpeakerIDCLI.json(["file": sources[i].description, "error": outcome.failureMessage])) }
                failed += 1
                continue
            }
            let best = ranking[0]
            let name = sources[i].description
            if input.json {
                var o: [String: Any] = [
                    "file": name, "speaker": decision.outcome.namesSpeaker ? best.speaker : NSNull(),
                    "decision": decision.outcome.rawValue, "speech_seconds": speech,
                    "system": ScoringSystem.fusion.rawValue, "score_normalization": "none",
                ]
                if decision.outcome != .tooShort {
                    o["ranking"] = ranking.map {
                        [
                            "speaker": $0.speaker, "score": $0.gmm, "dvector_score": $0.cosine, "llr": $0.llr,
                            "posterior": costs.posterior(llr: $0.llr),
                        ]
                    }
                    o["llr"] = best.llr
                    o["posterior"] = costs.posterior(llr: best.llr)
                    o["prior"] = costs.prior
                } else {
                    o["min_speech_seconds"] = input.minSpeech
                }
                if let t = rule.threshold { o["threshold"] = t }
                print(SpeakerIDCLI.json(o))
            } else {
                let outcome = decision.outcome
                print(
                    "\(name)\t\(outcome.text(speaker: best.speaker))\t\(fmt(speech, 2)) s of speech"
                        + (outcome == .tooShort ? " (less than \(fmt(input.minSpeech, 2)) s)" : ""))
                if outcome == .tooShort { continue }
                for (k, r) in ranking.enumerated() {
                    print(
                        "  \(k + 1). \(r.speaker)\tLLR \(fmt(r.llr, 3)), posterior \(fmt(costs.posterior(llr: r.llr), 4))\t(gmm \(fmt(r.gmm, 4)), cosine \(fmt(r.cosine, 4)))"
                    )
                }
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: input.skipBad, noun: "clip")
    }
}
