import ArgumentParser
import Foundation
import SpeakerID

struct ScoreReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score-report",
        abstract: "Accuracy, EER and minDCF per test length from evaluate --scores files (the parts of a sharded evaluation).",
        discussion: """
            Run 'evaluate --shard I/N --scores PART-I.tsv' for I = 0..N-1 (on any machines), then \
            'score-report PART-*.tsv': the figures are exactly those of one evaluate run over every \
            test file (identification by the best raw score, verification on the score column). A \
            part given twice, or parts scored against different models, are refused.
            """)

    @Argument(help: "Score files (evaluate --scores).")
    var parts: [String]
    @Flag(help: "Print one JSON object (evaluate's keys for these figures).")
    var json = false

    func validate() throws {
        if parts.isEmpty { throw ValidationError("give the score files (evaluate --scores)") }
    }

    func run() throws {
        var scores: [VerificationScore] = []
        for p in parts { scores += try ScoreFile.read(path: p).scores }
        let r = try ScoreReport.report(scores)
        if json {
            print(try SpeakerIDCLI.json(encoding: r.figures))
            return
        }
        var s =
            "\(parts.count) score file\(parts.count == 1 ? "" : "s"), \(r.speakers.count) models\n\ntest length      trials  accuracy     EER  minDCF\n"
        for l in [r.whole] + r.segments {
            let label = l.seconds.map { fmt($0, $0 == $0.rounded() ? 0 : 2) + " s" } ?? "whole file"
            s +=
                label.padding(toLength: 13, withPad: " ", startingAt: 0)
                + String(format: "%10d  %8.4f", l.identification.trials, l.identification.accuracy)
            s += l.verification.map { String(format: "  %5.2f%%  %6.4f", 100 * $0.eer, $0.minDCF) } ?? "       -       -"
            s += "\n"
        }
        print(s, terminator: "")
    }
}
