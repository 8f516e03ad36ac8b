import ArgumentParser
import Foundation
import SpeakerID

struct EvaluateTrackingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-tracking",
        abstract: "Diarization and identification error rates of RTTM timelines against reference RTTMs.",
        discussion: """
            DER maps hypothesis labels one-to-one onto reference labels to maximise their overlap \
            first (names do not matter); IER compares names as they are, except that every label of \
            unknown speech ('unknown', and 'unknown-1', 'unknown-2' of speakers named as clusters) \
            matches the reference's unknown label: each says nobody enrolled. Both are computed as \
            pyannote.metrics computes them, overlap scored, with --collar seconds left out on each \
            side of every reference boundary (pyannote's collar=2x this), and pooled over \
            recordings: summed error durations over summed reference speech, not a mean of \
            per-recording rates. Recordings are matched by the RTTM file id; a reference recording \
            without a hypothesis counts as all missed (the headline and --json give how many; \
            --only-with-hypothesis leaves them out). RTTM lines are checked: NIST's 10 fields \
            (8 to 10 accepted), times from 0 to a week. Also: how much of the \
            reference's unknown speech (--unknown-label) the hypothesis labels unknown.
            """)

    @Option(help: ArgumentHelp("Reference RTTM file, or a folder of them.", valueName: "path"))
    var reference: String
    @Option(help: ArgumentHelp("Hypothesis RTTM file (track --rttm), or a folder of them.", valueName: "path"))
    var hypothesis: String
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds left out of scoring on each side of every reference boundary.", valueName: "s"))
    var collar = 0.25
    @Option(help: ArgumentHelp("The reference's label for speakers nobody enrolled.", valueName: "label"))
    var unknownLabel = "unknown"
    @Flag(help: "Score only the reference recordings that have a hypothesis (default: one without counts as all missed).")
    var onlyWithHypothesis = false
    @Flag(help: "One JSON object with the pooled and per-recording figures.")
    var json = false
    @Flag(name: .shortAndLong, help: "No notes on standard error.")
    var quiet = false

    func validate() throws {
        if !(collar >= 0 && collar <= 60) { throw ValidationError("--collar must be 0-60 seconds") }
        if unknownLabel.isEmpty || unknownLabel.contains(where: \.isWhitespace) {
            throw ValidationError("--unknown-label must be one RTTM name: not empty, without spaces")
        }
    }

    /// Every SPEAKER line of a file or of the .rttm files of a folder, by recording. With
    /// `emptyFiles`, a file without SPEAKER lines is the (empty) timeline of the recording its
    /// name gives, as `track --rttm` writes a recording without speech.
    static func load(_ path: String, option: String, emptyFiles: Bool = false) throws -> [String: [RTTMSegment]] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw CLIError("\(option) \(path): no such file or folder") }
        var files = [path]
        if isDir.boolValue {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch { throw CLIError("\(option) \(path): cannot be listed") }
            files = names.filter { $0.lowercased().hasSuffix(".rttm") }.sorted().map { PathName.join(path, $0) }
            if files.isEmpty { throw CLIError("\(option) \(path): no .rttm files in the folder") }
        }
        var out: [String: [RTTMSegment]] = [:]
        for f in files {
            let segments = try RTTM.read(path: f)
            if segments.isEmpty && emptyFiles { out[RTTM.fileID(f), default: []] += [] }
            for s in segments { out[s.file, default: []].append(s) }
        }
        return out
    }

    func run() async throws {
        let ref = try Self.load(reference, option: "--reference")
        let hyp = try Self.load(hypothesis, option: "--hypothesis", emptyFiles: true)
        if ref.isEmpty { throw CLIError("--reference \(reference): no SPEAKER lines") }
        var notes: [String] = []
        let missing = ref.keys.filter { hyp[$0] == nil }.sorted()
        if !missing.isEmpty {
            let fate =
                onlyWithHypothesis ? "left out (--only-with-hypothesis)" : "all their speech counts as missed; --only-with-hypothesis leaves them out"
            notes.append(
                "\(missing.count) reference recording\(missing.count == 1 ? " has" : "s have") no hypothesis (\(fate)): \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", ..." : "")"
            )
        }
        if missing.count == ref.count {
            let refIDs = ref.keys.sorted().prefix(3).joined(separator: ", "), hypIDs = hyp.keys.sorted().prefix(3).joined(separator: ", ")
            let why =
                "no reference recording has a hypothesis: recordings are matched by the RTTM file id (second field); the reference has \(refIDs)\(ref.count > 3 ? ", ..." : ""), the hypothesis \(hyp.isEmpty ? "no SPEAKER lines" : hypIDs + (hyp.count > 3 ? ", ..." : ""))"
            if onlyWithHypothesis { throw CLIError(why) }
            notes.append(why)
        }
        let extra = hyp.keys.filter { ref[$0] == nil }.sorted()
        if !extra.isEmpty {
            notes.append(
                "\(extra.count) hypothesis recording\(extra.count == 1 ? " has" : "s have") no reference and are not scored: \(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", ..." : "")"
            )
        }
        if !quiet { for n in notes { Console.warn("note: " + n) } }
        var pooled = TrackingScore()
        var per: [(String, TrackingScore)] = []
        for id in ref.keys.sorted() where !onlyWithHypothesis || hyp[id] != nil {
            let s = TrackingMetrics.score(reference: ref[id] ?? [], hypothesis: hyp[id] ?? [], collar: collar, unknownLabel: unknownLabel)
            pooled += s
            per.append((id, s))
        }
        if pooled.diarization.total <= 0 {
            throw CLIError(
                "no reference speech is left to score: the collar of \(fmt(collar, 2)) s each side of every reference boundary covers \(per.count == 1 ? "the recording's turns" : "the turns of all \(per.count) recordings") (lower --collar)"
            )
        }
        if json {
            var o = Self.json(pooled)
            o["collar_seconds"] = collar
            o["recordings"] = per.count
            o["references_without_hypothesis"] = missing.count
            o["only_with_hypothesis"] = onlyWithHypothesis
            o["hypotheses_without_reference"] = extra.count
            o["per_recording"] = per.map { id, s -> [String: Any] in
                var r = Self.json(s)
                r["recording"] = id
                return r
            }
            o["warnings"] = notes
            print(SpeakerIDCLI.json(o))
            return
        }
        let d = pooled.diarization, i = pooled.identification
        let without =
            missing.isEmpty
            ? ""
            : onlyWithHypothesis
                ? " (\(missing.count) more without a hypothesis left out)"
                : " (\(missing.count) without a hypothesis, scored as all missed)"
        print(
            "\(per.count) recording\(per.count == 1 ? "" : "s")\(without), \(fmt(d.total, 1)) s of reference speech scored (collar \(fmt(collar, 2)) s each side, overlap scored, pooled)"
        )
        for (name, c) in [("DER", d), ("IER", i)] {
            print(
                "\(name) \(fmt(c.errorRate, 4))  (missed \(fmt(c.missed / max(c.total, 1e-12), 4)), false alarm \(fmt(c.falseAlarm / max(c.total, 1e-12), 4)), confusion \(fmt(c.confusion / max(c.total, 1e-12), 4)))"
            )
        }
        if pooled.unknownSeconds > 0 {
            let u = pooled.unknownSeconds
            print(
                "unknown speech: \(fmt(u, 1)) s, labelled unknown \(fmt(pooled.unknownLabelledUnknown / u, 3)), an enrolled name \(fmt(pooled.unknownLabelledEnrolled / u, 3)), nothing \(fmt(max(0, u - pooled.unknownLabelledUnknown - pooled.unknownLabelledEnrolled) / u, 3))"
            )
        }
        for (id, s) in per {
            print("  \(id)\tDER \(fmt(s.diarization.errorRate, 4))\tIER \(fmt(s.identification.errorRate, 4))\t\(fmt(s.diarization.total, 1)) s")
        }
    }

    static func json(_ s: TrackingScore) -> [String: Any] {
        func c(_ e: ErrorComponents) -> [String: Any] {
            [
                "error_rate": jnum(e.errorRate), "missed_seconds": jnum(e.missed), "false_alarm_seconds": jnum(e.falseAlarm),
                "confusion_seconds": jnum(e.confusion), "correct_seconds": jnum(e.correct),
            ]
        }
        var o: [String: Any] = [
            "der": c(s.diarization), "ier": c(s.identification), "reference_seconds": jnum(s.diarization.total),
            "unknown_seconds": jnum(s.unknownSeconds),
        ]
        if s.unknownSeconds > 0 {
            o["unknown_labelled_unknown"] = jnum(s.unknownLabelledUnknown / s.unknownSeconds)
            o["unknown_labelled_enrolled"] = jnum(s.unknownLabelledEnrolled / s.unknownSeconds)
        }
        return o
    }
}
