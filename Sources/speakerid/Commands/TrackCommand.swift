import ArgumentParser
import Foundation
import SpeakerID

struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Who spoke when: a timeline of each recording with enrolled names, 'unknown' for everyone else.",
        discussion: """
            Speech detection, BIC speaker-change detection, Viterbi decoding over the enrolled \
            speakers and an unknown speaker (minimum turn, change penalties), then each segment's \
            open-set decision: the best speaker over the segment, named when its calibrated LLR \
            (--calibration; at the Bayes threshold of --prior and the costs unless --threshold) or \
            its average score (--threshold without --calibration) reaches the threshold, else \
            'unknown' (--cluster-unknown: unknown-1, unknown-2, ...). Without either, every \
            segment is named (closed set; refused for a models folder of one speaker). Output: a text timeline, --json (one object per \
            recording), --rttm DIR (DIR/<recording>.rttm, NIST RTTM). Memory does not grow with \
            a recording's length. --system dvector or fusion (with a calibration of that system) \
            decides each segment and live window on its audio's embedding by the speaker encoder \
            (fusion: with the GMM scores, fused); the turns are still found by the GMM decoder. \
            --stream reads one stream (standard input with '-', or a file as \
            it grows) and prints a live decision every --hop seconds and segments as they close. \
            Every recording is reported: one that cannot be read gets one line on standard error \
            ({"file", "error"} with --json) and the exit status is 1, unless --skip-bad.
            """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @OptionGroup var background: UBMArguments
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Open-set threshold: on the calibrated LLR with --calibration (default: the Bayes threshold), else on the average log-likelihood ratio (needs --ubm).",
            valueName: "T"))
    var threshold: Double?
    @OptionGroup var calibrationOptions: CalibrationArguments
    @OptionGroup var scoring: SystemArguments
    @Option(help: ArgumentHelp("Write DIR/<recording>.rttm for each recording (the folder is created).", valueName: "dir"))
    var rttm: String?
    @Flag(help: "One JSON object per recording ({\"file\", \"error\"} for one that cannot be tracked); with --stream, one per event.")
    var json = false
    @Flag(help: "Exit 0 when some recordings could not be tracked (each is still reported), as long as one could.")
    var skipBad = false
    @OptionGroup var tracking: TrackingArguments
    @OptionGroup var live: StreamArguments
    @Argument(help: "Recordings (files or folders); with --stream, one file that grows or '-' for standard input.")
    var audio: [String]
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if let t = threshold, !t.isFinite { throw ValidationError("--threshold must be a finite number") }
        if threshold != nil && background.ubm == nil && calibrationOptions.calibration == nil {
            throw ValidationError("--threshold needs --ubm (log-likelihood-ratio scores) or --calibration")
        }
        if calibrationOptions.calibration != nil && background.ubm == nil {
            throw ValidationError(
                scoring.system == .gmm
                    ? "--calibration needs --ubm: tracking calibrates log-likelihood ratios against the UBM"
                    : "--system \(scoring.system.rawValue) needs --ubm: the turns are found by the GMM decoder, which scores against the UBM, whatever system decides them"
            )
        }
        if live.stream {
            if audio.count != 1 { throw ValidationError("--stream tracks one stream: give one file or '-'") }
            if rttm != nil && audio[0] == "-" {
                throw ValidationError(
                    "--rttm names its file after the recording; with '-' there is none (redirect the stream to a file, or use --json)")
            }
        } else {
            if audio.contains("-") { throw ValidationError("standard input ('-') is read with --stream") }
            if live.hop != nil || live.liveWindow != nil || live.idleTimeout != nil {
                throw ValidationError("--hop, --live-window and --idle-timeout go with --stream")
            }
        }
        try calibrationOptions.refuseDecisionOptionsWithoutCalibration()
        if scoring.system != .gmm && calibrationOptions.calibration == nil {
            throw ValidationError(
                "--system \(scoring.system.rawValue) decides segments on calibrated LLRs: give --calibration FILE (speakerid calibrate --system \(scoring.system.rawValue))"
            )
        }
        if scoring.system == .fusion && background.ubm == nil {
            throw ValidationError("--system fusion needs --ubm: the GMMs' scores are log-likelihood ratios against it")
        }
        _ = try tracking.options()
    }

    /// Everything a recording is tracked with.
    struct Setup: Sendable {
        var identifier: Identifier
        var rule: DecisionRule
        var options: TrackerOptions
        /// With --system dvector or fusion: how segments are decided by the speaker encoder.
        var encoderScoring: EncoderSegmentScoring?
    }

    func setup() throws -> Setup {
        let ubmModel = try background.load()
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let id = try Identifier(models: loaded, ubm: ubmModel, topC: background.topC)
        var rule: DecisionRule
        var encoderScoring: EncoderSegmentScoring?
        if scoring.system == .gmm {
            let calibration = try calibrationOptions.load(ubm: ubmModel, frontEnd: loaded[0].frontEnd, normalization: .none, models: models)
            rule = DecisionRule(calibration: calibration, threshold: threshold, costs: calibrationOptions.costs)
        } else {
            guard let encoder = try scoring.encoderOptions.load(required: true), let path = calibrationOptions.calibration else {
                throw CLIError("--system \(scoring.system.rawValue) needs the speaker encoder and --calibration")
            }
            do {
                encoderScoring = try EncoderSegmentScoring(
                    system: scoring.system, encoder: encoder, models: loaded, ubm: ubmModel, calibration: try Calibration.load(path: path),
                    folder: models)
            } catch let e as CalibrationError { throw CLIError("\(path): \(e)") }
            // The LLRs the encoder scoring gives are decided: at --threshold, else the Bayes threshold.
            rule = .onCalibratedLLRs(threshold: threshold, costs: calibrationOptions.costs)
        }
        var options = try tracking.options()
        live.apply(to: &options)
        // Names a timeline could not tell apart: reserved labels, and names equal once white
        // space becomes "_" in RTTM.
        if let reserved = loaded.map(\.speaker).first(where: TrackedSegment.isReservedLabel) {
            throw CLIError("\(models): \(TrackingError.reservedName(reserved))")
        }
        var seen: [String: String] = [:]
        for s in loaded.map(\.speaker) {
            if let other = seen.updateValue(s, forKey: RTTM.field(s)) {
                throw CLIError(
                    "\(models): speakers \(other.debugDescription) and \(s.debugDescription) would both be written \(RTTM.field(s).debugDescription) in RTTM; rename one"
                )
            }
        }
        // One enrolled speaker and no open-set decision: every speech segment would be named
        // that speaker, which decides nothing.
        if !rule.isOpenSet, loaded.count == 1 {
            throw usageError(
                "\(models) holds one speaker, \(loaded[0].speaker.debugDescription): without --calibration or --threshold every speech segment would be named them; give --calibration FILE or --threshold T (with --ubm) so other voices are 'unknown'"
            )
        }
        return Setup(identifier: id, rule: rule, options: options, encoderScoring: encoderScoring)
    }

    func run() async throws {
        let s = try setup()
        if live.stream { return try await runStream(s) }
        let files = Corpus.expandInputs(audio)
        if !common.quiet && !files.files.isEmpty { for n in files.notes { Console.warn("note: " + n) } }
        if files.files.isEmpty { throw CLIError("no audio files found in \(audio.joined(separator: ", "))") }
        let sources = files.files
        if let rttm {
            try Self.prepareRTTMFolder(rttm)
            var ids: [String: String] = [:]
            for f in sources {
                if let other = ids.updateValue(f, forKey: RTTM.fileID(f)) {
                    throw CLIError("\(other) and \(f) would both be written to \(rttm)/\(RTTM.fileID(f)).rttm; track them in two runs")
                }
            }
        }
        let raw = try rawAudio.format()
        let results = try await batchMap(count: sources.count, threads: common.threadCount) { i -> TrackingResult in
            try SpeakerTracker.track(
                .file(sources[i]), raw: raw, identifier: s.identifier, rule: s.rule, options: s.options, encoderScoring: s.encoderScoring)
        }
        var failed = 0
        for (i, outcome) in results.enumerated() {
            guard case .done(let r) = outcome else {
                let message = outcome.failureMessage
                Console.warn(message)
                if json { print(SpeakerIDCLI.json(["file": sources[i], "error": message])) }
                failed += 1
                continue
            }
            let warning = s.identifier.frontEnd.options.narrowBandWarning(r.name, sourceRate: r.sourceSampleRate)
            if let warning, !common.quiet { Console.warn("warning: " + warning) }
            if let rttm {
                let path = PathName.join(rttm, RTTM.fileID(r.name) + ".rttm")
                let text = r.segments.map {
                    RTTM.line(file: RTTM.fileID(r.name), start: $0.start, duration: $0.end - $0.start, label: $0.label) + "\n"
                }.joined()
                do { try AtomicFile.write(Array(text.utf8), to: path) } catch { throw CLIError("\(path): cannot write (\(error))") }
            }
            if json {
                print(SpeakerIDCLI.json(TrackingJSON.recording(r, system: scoring.system.rawValue, warning: warning)))
            } else {
                print(
                    "\(r.name)\t\(fmt(r.duration, 2)) s, \(fmt(r.speechSeconds, 2)) s of speech, \(r.segments.count) segment\(r.segments.count == 1 ? "" : "s")"
                        + (r.segments.isEmpty ? " (no speech found)" : ""))
                for seg in r.segments { print("  " + Self.text(seg)) }
            }
        }
        try finishBatch(failed: failed, total: sources.count, skipBad: skipBad, noun: "recording")
    }

    /// Creates the RTTM folder, refusing a file in its place.
    static func prepareRTTMFolder(_ dir: String) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            if !isDir.boolValue { throw CLIError("--rttm \(dir): is a file; give a folder") }
        }
        if let problem = OutputLocation.prepareFolder(dir) { throw CLIError("--rttm \(dir): cannot write the RTTM files (\(problem))") }
    }

    /// A segment as a line of the text timeline: start, end, label, and the score behind it.
    static func text(_ s: TrackedSegment) -> String {
        let figures = s.decision.llr.map { "LLR \(fmt($0, 2))" } ?? s.decision.score.map { "score \(fmt($0, 3))" } ?? ""
        let label =
            s.decision.speaker == nil && s.decision.bestSpeaker != nil
            ? "\(s.label)\t(\(figures); best \(s.decision.bestSpeaker ?? ""))" : "\(s.label)\t(\(figures))"
        return "\(clock(s.start)) - \(clock(s.end))\t\(label)"
    }

    /// Seconds as h:mm:ss.ss (or m:ss.ss under an hour).
    static func clock(_ t: Double) -> String {
        let cs = Int((t * 100).rounded())
        let h = cs / 360_000, m = (cs / 6000) % 60, sec = Double(cs % 6000) / 100
        let ss = String(format: "%05.2f", sec)
        return h > 0 ? String(format: "%d:%02d:", h, m) + ss : String(format: "%d:", m) + ss
    }
}
