import ArgumentParser
import Foundation
import SpeakerID

struct EvaluateTrackingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-tracking",
        abstract: "Diarization and identification error rates of RTTM timelines against reference RTTMs.",
        discussion: """
        DER maps hypothesis labels one-to-one onto reference labels to maximise their overlap \
        first (names do not matter); IER compares labels as they are (hypothesis 'unknown' \
        matches reference 'unknown'; 'unknown-1' does not). Both are computed as \
        pyannote.metrics computes them, overlap scored, with --collar seconds left out on each \
        side of every reference boundary (pyannote's collar=2x this), and pooled over \
        recordings: summed error durations over summed reference speech, not a mean of \
        per-recording rates. Recordings are matched by the RTTM file id; a reference recording \
        without a hypothesis counts as all missed, with a note. Also: how much of the \
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
    @Flag(help: "One JSON object with the pooled and per-recording figures.")
    var json = false
    @Flag(name: .shortAndLong, help: "No notes on standard error.")
    var quiet = false

    func validate() throws {
        if !(collar >= 0 && collar <= 60) { throw ValidationError("--collar must be 0-60 seconds") }
    }

    /// Every SPEAKER line of a file or of the .rttm files of a folder, by recording.
    static func load(_ path: String, option: String) throws -> [String: [RTTMSegment]] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw CLIError("\(option) \(path): no such file or folder") }
        var files = [path]
        if isDir.boolValue {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch { throw CLIError("\(option) \(path): cannot be listed") }
            files = names.filter { $0.lowercased().hasSuffix(".rttm") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            if files.isEmpty { throw CLIError("\(option) \(path): no .rttm files in the folder") }
        }
        var out: [String: [RTTMSegment]] = [:]
        for f in files {
            for s in try RTTM.read(path: f) { out[s.file, default: []].append(s) }
        }
        return out
    }

    func run() async throws {
        let ref = try Self.load(reference, option: "--reference")
        let hyp = try Self.load(hypothesis, option: "--hypothesis")
        if ref.isEmpty { throw CLIError("--reference \(reference): no SPEAKER lines") }
        var notes: [String] = []
        let missing = ref.keys.filter { hyp[$0] == nil }.sorted()
        if !missing.isEmpty {
            notes.append("\(missing.count) reference recording\(missing.count == 1 ? " has" : "s have") no hypothesis (all their speech counts as missed): \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", ..." : "")")
        }
        let extra = hyp.keys.filter { ref[$0] == nil }.sorted()
        if !extra.isEmpty {
            notes.append("\(extra.count) hypothesis recording\(extra.count == 1 ? " has" : "s have") no reference and are not scored: \(extra.prefix(5).joined(separator: ", "))\(extra.count > 5 ? ", ..." : "")")
        }
        if !quiet { for n in notes { Console.warn("note: " + n) } }
        var pooled = TrackingScore()
        var per: [(String, TrackingScore)] = []
        for id in ref.keys.sorted() {
            let s = TrackingMetrics.score(reference: ref[id] ?? [], hypothesis: hyp[id] ?? [], collar: collar, unknownLabel: unknownLabel)
            pooled += s
            per.append((id, s))
        }
        if json {
            var o = Self.json(pooled)
            o["collar_seconds"] = collar
            o["recordings"] = per.count
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
        print("\(per.count) recording\(per.count == 1 ? "" : "s"), \(fmt(d.total, 1)) s of reference speech scored (collar \(fmt(collar, 2)) s each side, overlap scored, pooled)")
        for (name, c) in [("DER", d), ("IER", i)] {
            print("\(name) \(fmt(c.errorRate, 4))  (missed \(fmt(c.missed / max(c.total, 1e-12), 4)), false alarm \(fmt(c.falseAlarm / max(c.total, 1e-12), 4)), confusion \(fmt(c.confusion / max(c.total, 1e-12), 4)))")
        }
        if pooled.unknownSeconds > 0 {
            let u = pooled.unknownSeconds
            print("unknown speech: \(fmt(u, 1)) s, labelled unknown \(fmt(pooled.unknownLabelledUnknown / u, 3)), an enrolled name \(fmt(pooled.unknownLabelledEnrolled / u, 3)), nothing \(fmt(max(0, u - pooled.unknownLabelledUnknown - pooled.unknownLabelledEnrolled) / u, 3))")
        }
        for (id, s) in per {
            print("  \(id)\tDER \(fmt(s.diarization.errorRate, 4))\tIER \(fmt(s.identification.errorRate, 4))\t\(fmt(s.diarization.total, 1)) s")
        }
    }

    static func json(_ s: TrackingScore) -> [String: Any] {
        func c(_ e: ErrorComponents) -> [String: Any] {
            ["error_rate": e.errorRate, "missed_seconds": e.missed, "false_alarm_seconds": e.falseAlarm,
             "confusion_seconds": e.confusion, "correct_seconds": e.correct]
        }
        var o: [String: Any] = ["der": c(s.diarization), "ier": c(s.identification), "reference_seconds": s.diarization.total,
                                "unknown_seconds": s.unknownSeconds]
        if s.unknownSeconds > 0 {
            o["unknown_labelled_unknown"] = s.unknownLabelledUnknown / s.unknownSeconds
            o["unknown_labelled_enrolled"] = s.unknownLabelledEnrolled / s.unknownSeconds
        }
        return o
    }
}
