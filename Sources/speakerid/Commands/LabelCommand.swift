import ArgumentParser
import Foundation
import SpeakerID

struct LabelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Put enrolled names on the speakers of a transcript (WebVTT, SRT, whisper JSON) or a diarization (RTTM).",
        discussion: """
            Each cue of --transcript is named from its own audio: the enrolled speaker whose \
            calibrated LLR is highest, when it reaches the threshold (the Bayes threshold of --prior \
            and the costs unless --threshold), else 'unknown'; a cue with less speech than \
            --min-speech is left without a speaker and reported as too short. When the cues already \
            carry anonymous speakers (whisperX's SPEAKER_00, WebVTT voices, 'Name:' in SRT), or \
            with --diarization FILE.rttm, each anonymous speaker is named as a whole, from all its \
            speech pooled, decided as an open-set identification among the enrolled speakers \
            (each speaker's LLR against every other one and nobody enrolled, at --prior: \
            open_set_llr), one enrolled name per anonymous speaker at most (the assignment with \
            the highest total above the threshold); the others become unknown-1, unknown-2. \
            --per-cue names every cue on its own instead. Output: the transcript in its own format \
            with the speakers written as the format does (<v Name>, 'Name: ', "speaker"), or with \
            --diarization alone the RTTM with names; to --out, else standard output. --json gives \
            per cue and per anonymous speaker the name, calibrated LLR, posterior and speech \
            seconds; --rttm FILE also writes the labelled turns as RTTM. Bad input (times past the \
            audio, overlapping or empty cues, a malformed time, an RTTM of another recording, \
            non-UTF-8 text) is refused in one line naming the file and line, and nothing is written.
            """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @OptionGroup var background: UBMArguments
    @OptionGroup var calibrationOptions: CalibrationArguments
    @OptionGroup var scoring: SystemArguments
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Threshold on the calibrated LLR (default: the Bayes threshold of --prior and the costs).", valueName: "T"))
    var threshold: Double?
    @Option(help: ArgumentHelp("The transcript: WebVTT (.vtt), SRT (.srt) or whisper's JSON (.json).", valueName: "file"))
    var transcript: String?
    @Option(help: ArgumentHelp("An anonymous diarization of the recording (NIST RTTM, e.g. pyannote's).", valueName: "file.rttm"))
    var diarization: String?
    @Option(help: ArgumentHelp("The recording the transcript or diarization is of.", valueName: "audio"))
    var audio: String
    @Option(help: ArgumentHelp("Write the labelled transcript (or RTTM) here instead of standard output.", valueName: "file"))
    var out: String?
    @Option(help: ArgumentHelp("Also write the labelled turns as NIST RTTM.", valueName: "file"))
    var rttm: String?
    @Flag(help: "Name every cue on its own speech, even when the transcript gives anonymous speakers.")
    var perCue = false
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Cues (or anonymous speakers) with less speech than this get no name (seconds).", valueName: "s"))
    var minSpeech = DecisionRule.defaultMinimumSpeechSeconds
    @Flag(help: "Print the decisions as one JSON object (per cue and per anonymous speaker).")
    var json = false
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if transcript == nil && diarization == nil { throw ValidationError("give --transcript FILE, --diarization FILE.rttm, or both") }
        if calibrationOptions.calibration == nil {
            throw ValidationError(
                "label decides on calibrated LLRs: give --calibration FILE (speakerid calibrate --system \(scoring.system.rawValue))")
        }
        if scoring.system == .dvector && background.ubm != nil {
            throw ValidationError("--system dvector scores by the encoder's cosine: it takes no --ubm")
        }
        if scoring.system != .dvector && background.ubm == nil {
            throw ValidationError("--system \(scoring.system.rawValue) needs --ubm: the GMMs' scores are log-likelihood ratios against it")
        }
        if let t = threshold, !t.isFinite { throw ValidationError("--threshold must be a finite number") }
        if !(minSpeech >= 0 && minSpeech <= 3600) { throw ValidationError("--min-speech must be 0-3600 seconds") }
        if perCue && diarization != nil { throw ValidationError("--per-cue names cues one by one; --diarization names them by speaker: give one") }
    }

    func run() async throws {
        // Everything is read and checked before anything is written.
        var inputs: [(what: String, path: String)] = [("the recording", audio)]
        if let transcript { inputs.append(("the transcript", transcript)) }
        if let diarization { inputs.append(("the diarization", diarization)) }
        for (option, path) in [("--out", out), ("--rttm", rttm)] {
            guard let path else { continue }
            do { try OutputLocation.refuseOverwriting(path, inputs: inputs) } catch { throw CLIError("\(error)") }
            try checkOutputFile(path, option: option)
        }
        if let out, let rttm, PathName.absolute(out) == PathName.absolute(rttm) {
            throw CLIError("--out and --rttm name the same file, \(out); give two")
        }
        let text = try transcript.map { path -> Transcript in
            do { return try Transcript.parse(try Self.read(path), name: path) } catch let e as TranscriptError { throw CLIError("\(e)") }
        }
        let recording = RTTM.fileID(audio)
        let diarized = try diarization.map { path -> [SpeechTurn] in
            let bytes = try Self.read(path)
            guard let s = String(validating: bytes, as: UTF8.self) else { throw CLIError("\(path): not UTF-8 text") }
            do { return try SpeechTurn.diarization(s, name: path, recording: recording) } catch { throw CLIError("\(error)") }
        }
        let labeller = try makeLabeller()
        let threads = common.threadCount

        // The cues, with the anonymous speakers they are named by: the diarization's, else
        // their own (unless --per-cue).
        var cues = (text?.cues ?? []).map { c in
            SpeechTurn(start: c.start, end: c.end, cluster: perCue ? nil : c.speaker, line: c.line)
        }
        var clusters: [NamedCluster] = []
        var cueEvidence: [SpeechEvidence?] = []
        if let diarized {
            let evidence = try await labeller.evidence(of: diarized, in: audio, turnsFile: diarization ?? "", threads: threads)
            clusters = labeller.nameClusters(diarized, evidence: evidence)
            cues = SpeechTurn.clusters(of: cues, from: diarized)
            // Cues no diarization turn covers are named one by one.
            let alone = cues.indices.filter { cues[$0].cluster == nil }
            let own = try await labeller.evidence(of: alone.map { cues[$0] }, in: audio, turnsFile: transcript ?? "", threads: threads)
            cueEvidence = [SpeechEvidence?](repeating: nil, count: cues.count)
            for (k, i) in alone.enumerated() { cueEvidence[i] = own[k] }
        } else if !cues.isEmpty {
            let evidence = try await labeller.evidence(of: cues, in: audio, turnsFile: transcript ?? "", threads: threads)
            clusters = labeller.nameClusters(cues, evidence: evidence)
            cueEvidence = evidence
        }
        let labelled = labeller.label(cues, evidence: cueEvidence, clusters: clusters)
        let diarizationLabelled = diarized.map { labeller.label($0, evidence: [], clusters: clusters) }

        // The outputs, each written whole or not at all.
        var document: String?
        if var text {
            for (i, l) in labelled.enumerated() { text.cues[i].speaker = l.label }
            document = text.text()
        } else if let diarizationLabelled {
            document = Self.rttmText(diarizationLabelled, recording: recording)
        }
        if let rttm {
            let turns = text != nil ? labelled : diarizationLabelled ?? []
            try Self.write(Self.rttmText(turns, recording: recording), to: rttm)
        }
        if let document {
            if let out {
                try Self.write(document, to: out)
            } else if !json {
                FileHandle.standardOutput.write(Data(document.utf8))
            }
        }
        if json { print(SpeakerIDCLI.json(report(cues: text == nil ? nil : labelled, clusters: clusters, labeller: labeller))) }
        if !common.quiet { summarize(cues: text == nil ? nil : labelled, clusters: clusters) }
    }

    func makeLabeller() throws -> SpeakerLabeller {
        let ubm = try background.load()
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubm, checkingUBM: ubm != nil)
        let encoder = scoring.system == .gmm ? nil : try scoring.encoderOptions.load(required: true)
        guard let path = calibrationOptions.calibration else { throw CLIError("no calibration") }
        let calibration: Calibration
        do { calibration = try Calibration.load(path: path) } catch { throw CLIError("\(path): \(error)") }
        let rule = DecisionRule.onCalibratedLLRs(threshold: threshold, costs: calibrationOptions.costs, minimumSpeechSeconds: minSpeech)
        do {
            return try SpeakerLabeller(
                system: scoring.system, models: loaded, ubm: ubm, encoder: encoder, calibration: calibration, rule: rule, folder: models,
                topC: background.topC)
        } catch let e as CalibrationError { throw CLIError("\(path): \(e)") }
    }

    /// A file's bytes, refusing a folder or a missing file in one line.
    static func read(_ path: String) throws -> [UInt8] {
        switch FileSystem.kind(path) {
        case .missing: throw CLIError("\(path): no such file")
        case .directory: throw CLIError("\(path): is a folder, not a file")
        default: break
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot be read") }
        return [UInt8](data)
    }

    static func write(_ text: String, to path: String) throws {
        do { try AtomicFile.write(Array(text.utf8), to: path) } catch { throw CLIError("\(path): cannot write (\(error))") }
    }

    /// Labelled turns as RTTM lines; turns with too little speech to decide are left out.
    static func rttmText(_ turns: [LabelledTurn], recording: String) -> String {
        turns.compactMap { t in
            t.label.map { RTTM.line(file: recording, start: t.turn.start, duration: t.turn.end - t.turn.start, label: $0) + "\n" }
        }.joined()
    }

    func decisionJSON(_ d: TurnDecision, rule: DecisionRule) -> [String: Any] {
        var o: [String: Any] = [
            "speaker": d.speaker ?? NSNull(), "decision": d.outcome.rawValue, "speech_seconds": TrackingJSON.seconds(d.speechSeconds),
        ]
        if let l = d.llr {
            o["llr"] = jnum(l)
            // An anonymous speaker is decided on its open-set identification LLR, and its
            // posterior is that speaker's among all the enrolled ones and nobody enrolled.
            if let i = d.openSetLLR { o["open_set_llr"] = jnum(i) }
            o["posterior"] = jnum(rule.costs.posterior(llr: d.openSetLLR ?? l))
        }
        if let b = d.bestSpeaker { o["best_speaker"] = b }
        return o
    }

    /// Every enrolled speaker with their LLR, best first (ties in model order); nil when the
    /// turn had too little speech to score.
    func ranking(_ d: TurnDecision, labeller: SpeakerLabeller) -> [[String: Any]]? {
        guard !d.llrs.isEmpty else { return nil }
        let costs = labeller.rule.costs
        return d.llrs.indices.sorted { a, b in d.llrs[a] != d.llrs[b] ? d.llrs[a] > d.llrs[b] : a < b }.map { k -> [String: Any] in
            var e: [String: Any] = ["speaker": labeller.speakers[k], "llr": jnum(d.llrs[k])]
            if k < d.openSetLLRs.count {
                e["open_set_llr"] = jnum(d.openSetLLRs[k])
                e["posterior"] = jnum(costs.posterior(llr: d.openSetLLRs[k]))
            } else {
                e["posterior"] = jnum(costs.posterior(llr: d.llrs[k]))
            }
            return e
        }
    }

    func report(cues: [LabelledTurn]?, clusters: [NamedCluster], labeller: SpeakerLabeller) -> [String: Any] {
        let rule = labeller.rule
        var o: [String: Any] = [
            "audio": audio, "system": scoring.system.rawValue, "threshold": jnum(rule.threshold ?? 0), "prior": rule.costs.prior,
            "min_speech_seconds": minSpeech,
            "clusters": clusters.map { c -> [String: Any] in
                var e = decisionJSON(c.decision, rule: rule)
                e["cluster"] = c.cluster
                e["label"] = c.label
                e["turns"] = c.turns
                if let other = c.speakerTakenBy { e["speaker_taken_by"] = other }
                if let r = ranking(c.decision, labeller: labeller) { e["ranking"] = r }
                return e
            },
        ]
        if let transcript { o["transcript"] = transcript }
        if let diarization { o["diarization"] = diarization }
        if let cues {
            o["cues"] = cues.enumerated().map { i, t -> [String: Any] in
                var e = decisionJSON(t.decision, rule: rule)
                e["index"] = i + 1
                e["line"] = t.turn.line
                e["start_seconds"] = TrackingJSON.seconds(t.turn.start)
                e["end_seconds"] = TrackingJSON.seconds(t.turn.end)
                e["label"] = t.label ?? NSNull()
                e["cluster"] = t.cluster ?? NSNull()
                if let r = ranking(t.decision, labeller: labeller) { e["ranking"] = r }
                return e
            }
        }
        return o
    }

    /// One line per anonymous speaker and a count of the cues, on standard error.
    func summarize(cues: [LabelledTurn]?, clusters: [NamedCluster]) {
        for c in clusters {
            let figures = c.decision.llr.map { "LLR \(fmt($0, 2)), " } ?? ""
            let note =
                c.decision.outcome == .tooShort
                ? " (too little speech to decide)"
                : c.speakerTakenBy.map { " (best: \(c.decision.bestSpeaker ?? ""), named in \($0))" } ?? ""
            Console.warn("\(c.cluster) -> \(c.label)\t(\(figures)\(fmt(c.decision.speechSeconds, 1)) s of speech, \(c.turns) turns)\(note)")
        }
        guard let cues else { return }
        let named = cues.filter { $0.decision.speaker != nil }.count
        let short = cues.filter { $0.label == nil }.count
        Console.warn(
            "\(cues.count) cue\(cues.count == 1 ? "" : "s"): \(named) named, \(cues.count - named - short) unknown"
                + (short > 0 ? ", \(short) with less than \(fmt(minSpeech, 2)) s of speech left without a speaker" : ""))
    }
}
