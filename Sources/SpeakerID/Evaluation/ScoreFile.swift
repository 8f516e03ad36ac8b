import Foundation

/// Why a score file could not be read: one line naming the file, and the line of it.
public enum ScoreFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is missing, a folder, unreadable or not UTF-8 text.
    case unreadable(String, reason: String)
    /// A line of the file breaks a rule (1-based line number).
    case badLine(String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read the score file (\(r))"
        case .badLine(let f, let l, let r): return "\(f):\(l): \(r)"
        }
    }
}

/// A score file, as `evaluate --scores` writes it and `calibrate --scores` and `score-report`
/// read it (docs/formats.md): the `#` lines of its system (`ScoreFileHeader`), the column
/// header, then one tab-separated row per verification trial (a test file or segment scored
/// against one model). The one reader and writer of the format: what is written reads back
/// equal, and every reader refuses the same files for the same reasons, naming file and line.
public struct ScoreFile: Sendable, Equatable {
    /// The column layouts: the eight columns every score file has, then the speech durations
    /// (test, enrolment), then the calibrated LLR when the evaluation had a calibration; a
    /// fusion's file has one score column per system (`score`: the GMMs', `dvector_score`:
    /// the d-vectors' cosine) before the fused LLR.
    public enum Columns: Int, Sendable, CaseIterable {
        /// file, seconds, start, model, speaker, target, score, raw_score (files written before
        /// durations were recorded).
        case plain = 8
        /// ... and test_seconds, enrol_seconds.
        case timed = 10
        /// ... and llr.
        case calibrated = 11
        /// ... test_seconds, enrol_seconds, dvector_score and llr (the fusion's).
        case fused = 12

        /// The column header line, without its line end.
        public var header: String {
            let base = "file\tseconds\tstart\tmodel\tspeaker\ttarget\tscore\traw_score"
            switch self {
            case .plain: return base
            case .timed: return base + "\ttest_seconds\tenrol_seconds"
            case .calibrated: return base + "\ttest_seconds\tenrol_seconds\tllr"
            case .fused: return base + "\ttest_seconds\tenrol_seconds\tdvector_score\tllr"
            }
        }

        /// Whether the rows carry test and enrolment durations.
        public var hasDurations: Bool { self != .plain }
    }

    /// The system the scores came from; nil for a file without that header (older, or another
    /// tool's).
    public var header: ScoreFileHeader?
    public var columns: Columns
    /// The rows in file order (paths unescaped; durations 0 and `llr` nil where the layout has
    /// no such column).
    public var scores: [VerificationScore]
    /// The line number of the column header (after the `#` lines), for messages about the
    /// columns; 1 for a file made here.
    public var columnHeaderLine: Int

    /// A score file to write.
    public init(header: ScoreFileHeader?, columns: Columns, scores: [VerificationScore]) {
        self.header = header
        self.columns = columns
        self.scores = scores
        columnHeaderLine = (header.map { Self.lines($0.text).count } ?? 0) + 1
    }

    // MARK: Writing

    /// The file's text: the system header, the column header, one line per trial. Numbers are
    /// printed in full (shortest round-trip form), so figures recomputed from the file match;
    /// a missing LLR in a calibrated file is written as nan.
    public var text: String {
        var out = (header?.text ?? "") + columns.header + "\n"
        for s in scores {
            out += "\(Self.field(s.path))\t\(s.seconds.map { "\($0)" } ?? "whole")\t\(s.startSeconds)\t\(s.model)\t\(s.speaker)\t"
            out += "\(s.isTarget ? "target" : "nontarget")\t\(s.score)\t\(s.rawScore)"
            if columns.hasDurations { out += "\t\(s.testSeconds)\t\(s.enrolSeconds)" }
            if columns == .calibrated { out += "\t\(s.llr ?? .nan)" }
            if columns == .fused { out += "\t\(s.dvectorScore ?? .nan)\t\(s.llr ?? .nan)" }
            out += "\n"
        }
        return out
    }

    /// Writes the file atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(Array(text.utf8), to: path)
    }

    /// A path as one field: backslash, tab and line breaks escaped as \\, \t, \n, \r.
    public static func field(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return s }
        return s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }

    /// A path field back to the path (\\, \t, \n, \r).
    public static func unescape(_ s: String) -> String {
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
            } else if c == "\\" {
                escaped = true
            } else {
                out.append(c)
            }
        }
        return out
    }

    // MARK: Reading

    /// Reads the score file at `path`.
    public static func read(path: String) throws(ScoreFileError) -> ScoreFile {
        switch FileSystem.kind(path) {
        case .missing, .brokenLink: throw .unreadable(path, reason: "no such file")
        case .directory: throw .unreadable(path, reason: "is a folder")
        case .file, .other: break
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path, reason: "cannot be read") }
        return try read(data, name: path)
    }

    /// Reads a score file's bytes; `name` names it in errors.
    public static func read(_ data: Data, name: String) throws(ScoreFileError) -> ScoreFile {
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadable(name, reason: "cannot be read as UTF-8 text") }
        return try parse(text, name: name)
    }

    /// The lines of a text, split at LF, CRLF or a lone CR (a CRLF is one Character, so it is
    /// matched as such; paths escape their CRs, so none is inside a field); the empty line after
    /// a final line end is not one.
    static func lines(_ text: String) -> [String] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Reads a score file's text. Refused, naming the line: a system header that cannot be read;
    /// a column header other than one of `Columns`; a row with another number of columns (an
    /// empty line among them); a segment length that is neither `whole` nor above 0; a start
    /// below 0; a target column other than target or nontarget, or that contradicts the model
    /// and speaker columns; a score or raw score that is not finite or beyond
    /// ±`Calibration.maximumScore`; a test or enrolment duration that is not above 0 s; an LLR
    /// that is not finite; a `dvector_score` that is not a cosine; a trial (model, file, segment length, start) given twice.
    public static func parse(_ text: String, name: String) throws(ScoreFileError) -> ScoreFile {
        let lines = lines(text)
        let header = try ScoreFileHeader.parse(lines, name: name)
        let comments = ScoreFileHeader.commentLines(lines)
        guard comments < lines.count else {
            throw .badLine(name, line: comments + 1, reason: "no column header: the score file is empty (write one with speakerid evaluate --scores)")
        }
        guard let columns = Columns.allCases.first(where: { $0.header == lines[comments] }) else {
            throw .badLine(
                name, line: comments + 1,
                reason:
                    "not a score file's column header (expected \(Columns.timed.header.replacingOccurrences(of: "\t", with: ", ")), and llr with a calibration; older files lack the durations)"
            )
        }
        struct Key: Hashable {
            var model: String
            var path: String
            var seconds: Double?
            var start: Double
        }
        var seen: [Key: Int] = [:]
        var scores: [VerificationScore] = []
        scores.reserveCapacity(lines.count - comments - 1)
        for (i, line) in lines.enumerated().dropFirst(comments + 1) {
            let n = i + 1
            func bad(_ reason: String) -> ScoreFileError { .badLine(name, line: n, reason: reason) }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == columns.rawValue else {
                throw bad(line.allSatisfy(\.isWhitespace) ? "an empty line among the rows" : "\(f.count) columns, the header has \(columns.rawValue)")
            }
            func number(_ k: Int, _ column: String) throws(ScoreFileError) -> Double {
                guard let v = Double(f[k]), v.isFinite else { throw bad("\(column) is not a finite number") }
                return v
            }
            let seconds: Double?
            if f[1] == "whole" {
                seconds = nil
            } else {
                guard let s = Double(f[1]), s.isFinite, s > 0 else {
                    throw bad("seconds \(f[1].debugDescription) is neither whole nor a segment length above 0")
                }
                seconds = s
            }
            let start = try number(2, "start")
            guard start >= 0 else { throw bad("start is \(f[2]); a segment starts at 0 s or later") }
            guard f[5] == "target" || f[5] == "nontarget" else { throw bad("target must be target or nontarget") }
            guard (f[5] == "target") == (f[3] == f[4]) else { throw bad("the target column contradicts the model and speaker columns") }
            var values: [Double] = []
            for (k, column) in [(6, "score"), (7, "raw_score")] {
                let v = try number(k, column)
                // Scores are average log-likelihood ratios (or normalised ones): tens, not
                // millions; one absurd row would wreck a calibration's fit (1e308 exhausted memory).
                guard abs(v) <= Calibration.maximumScore else {
                    throw bad(
                        "\(column) \(f[k].prefix(24)) is outside the ±\(Int(Calibration.maximumScore)) a score can plausibly take; the file is damaged or not SpeakerID's scores"
                    )
                }
                values.append(v)
            }
            var v = VerificationScore(
                path: unescape(f[0]), seconds: seconds, startSeconds: start, model: f[3], speaker: f[4],
                score: values[0], rawScore: values[1])
            if columns.hasDurations {
                for (k, column) in [(8, "test_seconds"), (9, "enrol_seconds")] {
                    guard try number(k, column) > 0 else {
                        throw bad("\(column) is \(f[k]); a trial's durations must be above 0 s (a test with no speech has no score)")
                    }
                }
                v.testSeconds = try number(8, "test_seconds")
                v.enrolSeconds = try number(9, "enrol_seconds")
            }
            if columns == .calibrated { v.llr = try number(10, "llr") }
            if columns == .fused {
                let cosine = try number(10, "dvector_score")
                guard abs(cosine) <= 1 + 1e-6 else { throw bad("dvector_score \(f[10].prefix(24)) is a cosine, between -1 and 1") }
                v.dvectorScore = cosine
                v.llr = try number(11, "llr")
            }
            let key = Key(model: v.model, path: v.path, seconds: seconds, start: start)
            if let earlier = seen[key] {
                throw bad(
                    "the same trial as line \(earlier) (model \(v.model), test \(f[0])); each trial must appear once (was a row or a file pasted twice?)"
                )
            }
            seen[key] = n
            scores.append(v)
        }
        var file = ScoreFile(header: header, columns: columns, scores: scores)
        file.columnHeaderLine = comments + 1
        return file
    }
}
