import Foundation

/// Why score files could not be reported on together (`ScoreFileError` says why one could not
/// be read).
public enum ScoreReportError: Error, Equatable, Sendable, CustomStringConvertible {
    case inconsistent(String)

    public var description: String {
        switch self {
        case .inconsistent(let s): return s
        }
    }
}

/// The verification and identification figures of `evaluate --scores` files: what a sharded
/// evaluation (`evaluate --shard I/N --scores PART.tsv` per shard) adds up to with
/// `speakerid score-report PART*.tsv`. The figures are the ones a single `evaluate` run gives:
/// identification names the model with the highest raw score of each trial (the first in
/// model order on a tie), verification uses the (normalised) score column.
public enum ScoreReport {
    /// The report of every trial in `scores` (the rows of all parts): per test length (whole
    /// files, then segment lengths ascending) identification accuracy and verification figures,
    /// whole-file accuracy per speaker and the confusion matrix. Refuses trials scored against
    /// different model lists, and a trial that appears twice (a part given twice).
    public static func report(_ scores: [VerificationScore]) throws(ScoreReportError) -> EvaluationReport {
        struct Key: Hashable {
            var path: String
            var seconds: Double?
            var start: Double
        }
        var order: [Key] = []
        var trials: [Key: [VerificationScore]] = [:]
        for s in scores {
            let k = Key(path: s.path, seconds: s.seconds, start: s.startSeconds)
            if trials[k] == nil { order.append(k) }
            trials[k, default: []].append(s)
        }
        guard let first = order.first, let models = trials[first]?.map(\.model) else { throw .inconsistent("no trials in the score files") }
        let index = Dictionary(models.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        guard index.count == models.count else { throw .inconsistent("a trial lists a model twice: was a score file given twice?") }
        for k in order where trials[k]?.map(\.model) != models {
            let what = k.seconds.map { "the \($0)-s segment at \(k.start) s of \(k.path)" } ?? k.path
            throw .inconsistent("\(what): scored against other models than \(first.path) (or given twice); every part must come from the same models")
        }
        for k in order where index[trials[k]?[0].speaker ?? ""] == nil {
            throw .inconsistent("\(k.path): speaker \(trials[k]?[0].speaker.debugDescription ?? "") has no model")
        }
        func lengthResult(_ seconds: Double?) -> LengthResult {
            var acc = AccuracyResult(correct: 0, trials: 0)
            var tar: [Double] = [], non: [Double] = []
            for k in order where k.seconds == seconds {
                let rows = trials[k] ?? []
                acc.trials += 1
                if rows[Identifier.best(rows.map(\.rawScore))].isTarget { acc.correct += 1 }
                for r in rows { if r.isTarget { tar.append(r.llr ?? r.score) } else { non.append(r.llr ?? r.score) } }
            }
            return LengthResult(
                seconds: seconds, identification: acc, verification: DetectionMetrics(targets: tar, nonTargets: non),
                histogram: ScoreHistogram(targets: tar, nonTargets: non))
        }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: models.count), count: models.count)
        var per: [String: AccuracyResult] = [:]
        for k in order where k.seconds == nil {
            let rows = trials[k] ?? []
            let truth = index[rows[0].speaker] ?? 0, b = Identifier.best(rows.map(\.rawScore))
            confusion[truth][b] += 1
            per[rows[0].speaker, default: AccuracyResult(correct: 0, trials: 0)].trials += 1
            if b == truth { per[rows[0].speaker, default: AccuracyResult(correct: 0, trials: 0)].correct += 1 }
        }
        let lengths = Set(order.compactMap(\.seconds)).sorted()
        return EvaluationReport(
            speakers: models, whole: lengthResult(nil), segments: lengths.map { lengthResult($0) }, perSpeaker: per,
            confusion: confusion, skipped: [], segmentNormalization: .file, scoreNormalization: .none,
            thresholdSource: nil, seconds: 0, scores: scores)
    }
}
