import ArgumentParser
import Foundation
import SpeakerID

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure closed-set identification accuracy on a test corpus (whole files and segments).",
        discussion: """
        Every test file is a trial; with --segment-seconds, so is every consecutive, \
        non-overlapping run of S seconds of speech frames (S x 100 frames the VAD kept) cut \
        from each file, the remainder dropped (Reynolds' accuracy versus test length).
        """)

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @Option(help: ArgumentHelp("Test corpus folder.", valueName: "dir"))
    var corpus: String
    @Option(help: ArgumentHelp("Split to test on.", valueName: "name"))
    var split = "test"
    @Option(help: ArgumentHelp("Comma-separated segment lengths in seconds, e.g. 1,2,5 (may be fractional).", valueName: "s,..."))
    var segmentSeconds: String?
    @Option(help: ArgumentHelp("Normalise segments over the whole test file ('file', default) or over the segment only ('segment', as a clip of that length would be).", valueName: "file|segment"))
    var segmentNormalization = "file"
    @Flag(help: "Report unusable test files and carry on with the rest (default: fail).")
    var skipBad = false
    @Flag(help: "Print one JSON object.")
    var json = false

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func parsedSegments() throws -> [Double] {
        guard let segmentSeconds else { return [] }
        return try segmentSeconds.split(separator: ",").map { s in
            guard let v = Double(s.trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else {
                throw ValidationError("--segment-seconds takes positive numbers separated by commas, e.g. 1,2,5")
            }
            return v
        }
    }

    func validate() throws {
        _ = try parsedSegments()
        if SegmentNormalization(rawValue: segmentNormalization) == nil { throw ValidationError("--segment-normalization must be file or segment") }
    }

    func run() async throws {
        let loaded = try ModelStore(directory: models).loadAll()
        _ = try frontEnd.check(against: loaded[0].frontEnd)
        let id = try Identifier(models: loaded)
        let entries = try Corpus(root: corpus).entries(split: split)
        let progress = Progress(total: entries.count, label: "evaluated", quiet: common.quiet || json)
        var ev = Evaluator(identifier: id, segmentSeconds: try parsedSegments(), threads: common.threadCount, skipBad: skipBad)
        ev.progress = progress.callback
        ev.raw = try rawAudio.format()
        ev.segmentNormalization = SegmentNormalization(rawValue: segmentNormalization) ?? .file
        let r = try await ev.evaluate(entries)
        for s in r.skipped { Console.warn("skipped: \(s.reason)") }
        if json {
            print(SpeakerIDCLI.json(Self.jsonReport(r)))
        } else {
            print(Self.textReport(r))
        }
    }

    static func jsonReport(_ r: EvaluationReport) -> [String: Any] {
        [
            "accuracy": r.overall.accuracy, "trials": r.overall.trials, "correct": r.overall.correct,
            "segment_normalization": r.segmentNormalization.rawValue,
            "segments": r.segments.map { ["seconds": $0.seconds, "accuracy": $0.trials > 0 ? $0.accuracy as Any : NSNull(), "trials": $0.trials, "correct": $0.correct] },
            "per_speaker": Dictionary(uniqueKeysWithValues: r.perSpeaker.map { ($0.key, ["accuracy": $0.value.accuracy, "trials": $0.value.trials]) }),
            "confusion": ["speakers": r.speakers, "matrix": r.confusion],
            "skipped": r.skipped.map { ["file": $0.path, "reason": $0.reason] },
            "seconds": r.seconds,
        ]
    }

    static func textReport(_ r: EvaluationReport) -> String {
        var s = "Closed-set identification, \(r.speakers.count) enrolled speakers\n\n"
        s += "test length      trials  accuracy\n"
        s += "whole file   " + String(format: "%10d  %8.4f", r.overall.trials, r.overall.accuracy) + "\n"
        for g in r.segments {
            let label = fmt(g.seconds, g.seconds == g.seconds.rounded() ? 0 : 2) + " s"
            s += label.padding(toLength: 13, withPad: " ", startingAt: 0) + String(format: "%10d  ", g.trials)
                + (g.trials > 0 ? String(format: "%8.4f", g.accuracy) : "       -") + "\n"
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
