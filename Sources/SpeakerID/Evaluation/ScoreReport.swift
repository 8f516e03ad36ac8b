import Foundation

/// Why score files could not be read or reported on.
public enum ScoreReportError: Error, Equatable, Sendable, CustomStringConvertible {
    case badFile(String, line: Int, reason: String)
    case inconsistent(String)

    public var description: String {
        switch self {
        case .badFile(let f, let l, let r): return "\(f): line \(l): \(r) (expected a score file as evaluation writes it: file, length, start, model, speaker, label, score, raw score)"
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
    /// The rows of one score file (header checked; paths unescaped).
    public static func read(_ text: String, name: String) throws(ScoreReportError) -> [VerificationScore] {
        // LF, CRLF or lone CR line ends (a CRLF is one Character, so it is matched as such;
        // paths escape their CRs, so none is inside a field).
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        // The eight columns of every score file, then the durations, then the calibrated LLR
        // when the evaluation had a calibration (its figures are the LLRs').
        let base = "file\tseconds\tstart\tmodel\tspeaker\ttarget\tscore\traw_score"
        let known = [base, base + "\ttest_seconds\tenrol_seconds", base + "\ttest_seconds\tenrol_seconds\tllr"]
        // Leading "#" lines record the system the scores came from (`ScoreFileHeader`).
        let comments = ScoreFileHeader.commentLines(lines)
        _ = try ScoreFileHeader.parse(lines, name: name)
        guard comments < lines.count, let layout = known.firstIndex(of: lines[comments]) else {
            throw .badFile(name, line: comments + 1, reason: "not the score file header")
        }
        let columns = [8, 10, 11][layout]
        var out: [VerificationScore] = []
        out.reserveCapacity(lines.count - 1)
        for (i, line) in lines.enumerated().dropFirst(comments + 1) {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == columns else { throw .badFile(name, line: i + 1, reason: "\(f.count) columns, not \(columns)") }
            let seconds: Double?
            if f[1] == "whole" { seconds = nil } else {
                guard let s = Double(f[1]), s > 0 else { throw .badFile(name, line: i + 1, reason: "segment length \(f[1].debugDescription)") }
                seconds = s
            }
            guard let start = Double(f[2]), let score = Double(f[6]), let raw = Double(f[7]), f[5] == "target" || f[5] == "nontarget" else {
                throw .badFile(name, line: i + 1, reason: "a start, score or target column cannot be read")
            }
            guard start.isFinite, start >= 0, score.isFinite, raw.isFinite else {
                throw .badFile(name, line: i + 1, reason: "a start, score or raw score is not a finite number (start at least 0)")
            }
            guard (f[5] == "target") == (f[3] == f[4]) else { throw .badFile(name, line: i + 1, reason: "target column contradicts model and speaker") }
            var v = VerificationScore(path: unescape(f[0]), seconds: seconds, startSeconds: start, model: f[3], speaker: f[4],
                                      score: score, rawScore: raw)
            if columns >= 10 {
                guard let t = Double(f[8]), let e = Double(f[9]), t.isFinite, e.isFinite, t >= 0, e >= 0 else {
                    throw .badFile(name, line: i + 1, reason: "a duration column is not a finite number of seconds")
                }
                v.testSeconds = t
                v.enrolSeconds = e
            }
            if columns == 11 {
                guard let l = Double(f[10]), l.isFinite else { throw .badFile(name, line: i + 1, reason: "the llr column cannot be read") }
                v.llr = l
            }
            out.append(v)
        }
        return out
    }

    /// A TSV path field back to the path (\\, \t, \n, \r).
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = "", escaped = false
        for c in s {
            if escaped {
                switch c {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(c)
                }
                escaped = false
            } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }

    /// The report of every trial in `scores` (the rows of all parts): per test length (whole
    /// files, then segment lengths ascending) identification accuracy and verification figures,
    /// whole-file accuracy per speaker and the confusion matrix. Refuses trials scored against
    /// different model lists, and a trial that appears twice (a part given twice).
    public static func report(_ scores: [VerificationScore]) throws(ScoreReportError) -> EvaluationReport {
        struct Key: Hashable { var path: String; var seconds: Double?; var start: Double }
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
            return LengthResult(seconds: seconds, identification: acc, verification: DetectionMetrics(targets: tar, nonTargets: non),
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
        return EvaluationReport(speakers: models, whole: lengthResult(nil), segments: lengths.map { lengthResult($0) }, perSpeaker: per,
                                confusion: confusion, skipped: [], segmentNormalization: .file, scoreNormalization: .none,
                                thresholdSource: nil, seconds: 0, scores: scores)
    }
}
