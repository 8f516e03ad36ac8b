import Foundation
import Testing
@testable import SpeakerID

/// The score file (`evaluate --scores`): one writer and one reader (`ScoreFile`), what is written
/// reads back equal, and every damaged row is refused naming the file and the line.
struct ScoreFileTests {
    static let header = ScoreFileHeader(
        ubmChecksum: "00aa11bb22cc33dd", modelsChecksum: "0123456789abcdef",
        scoreNormalization: .tnorm, tnormCohort: "fedcba9876543210")

    /// Trials against two models, whole files and segments, with paths that need escaping.
    static func scores(_ columns: ScoreFile.Columns) -> [VerificationScore] {
        let paths = ["a/one.wav", "b/tab\there.wav", "c/line\nbreak\\back.wav", "d/cr\rthere.flac"]
        var out: [VerificationScore] = []
        for (i, path) in paths.enumerated() {
            let speaker = i % 2 == 0 ? "alice" : "Bob Smith"
            for (seconds, start) in [(nil, 0.0), (1.5, 0.0), (1.5, 1.5)] as [(Double?, Double)] {
                for (m, model) in ["alice", "Bob Smith"].enumerated() {
                    var s = VerificationScore(
                        path: path, seconds: seconds, startSeconds: start, model: model, speaker: speaker,
                        score: 0.1 * Double(i) - 0.37 * Double(m) + 1e-9, rawScore: -1.0 / 3 + Double(i))
                    if columns.hasDurations {
                        s.testSeconds = seconds ?? 4.23 + Double(i)
                        s.enrolSeconds = 61.44 - Double(m)
                    }
                    if columns == .calibrated || columns == .fused { s.llr = -2.5e-3 * Double(i + m) + 7 }
                    if columns == .fused { s.dvectorScore = 0.61 - 0.3 * Double(m) + 1e-3 * Double(i) }
                    out.append(s)
                }
            }
        }
        return out
    }

    @Test func whatIsWrittenReadsBackEqual() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        for columns in ScoreFile.Columns.allCases {
            for header in [Self.header, nil] as [ScoreFileHeader?] {
                let file = ScoreFile(header: header, columns: columns, scores: Self.scores(columns))
                #expect(try ScoreFile.parse(file.text, name: "s.tsv") == file, "\(columns) \(header == nil ? "without" : "with") header")
                let path = dir.file("\(columns).tsv")
                try file.write(to: path)
                #expect(try ScoreFile.read(path: path) == file)
                // CRLF and lone-CR line ends read the same (paths escape their CRs).
                for end in ["\r\n", "\r"] {
                    #expect(try ScoreFile.parse(file.text.replacingOccurrences(of: "\n", with: end), name: "s.tsv") == file)
                }
            }
        }
    }

    /// The bytes evaluate wrote before there was a ScoreFile: the system header, the column
    /// header, numbers in shortest round-trip form, escaped paths, `whole` for whole files.
    @Test func theFormatIsTheOneEvaluateWrites() {
        var s = VerificationScore(path: "x\ty.wav", seconds: nil, startSeconds: 0, model: "a", speaker: "a", score: 0.1, rawScore: -1.0 / 3)
        s.testSeconds = 2.5
        s.enrolSeconds = 30
        var t = VerificationScore(path: "z.wav", seconds: 1, startSeconds: 2, model: "a", speaker: "b", score: -2, rawScore: -2)
        t.testSeconds = 1
        t.enrolSeconds = 30
        let plainHeader = ScoreFileHeader(ubmChecksum: nil, modelsChecksum: "0123456789abcdef", scoreNormalization: .none)
        #expect(
            ScoreFile(header: plainHeader, columns: .timed, scores: [s, t]).text == """
                # speakerid score file
                # ubm none
                # models 0123456789abcdef
                # score_normalization none
                file\tseconds\tstart\tmodel\tspeaker\ttarget\tscore\traw_score\ttest_seconds\tenrol_seconds
                x\\ty.wav\twhole\t0.0\ta\ta\ttarget\t0.1\t-0.3333333333333333\t2.5\t30.0
                z.wav\t1.0\t2.0\ta\tb\tnontarget\t-2.0\t-2.0\t1.0\t30.0

                """)
        #expect(ScoreFile(header: nil, columns: .calibrated, scores: [t]).text.hasSuffix("\t1.0\t30.0\tnan\n"), "a missing LLR is nan")
        #expect(ScoreFile(header: plainHeader, columns: .timed, scores: []).columnHeaderLine == 5)
    }

    /// Every rule of the reader (the union of what calibrate --scores and score-report checked
    /// before they shared it), each refusal naming the file and the line.
    @Test func everyDamagedRowIsRefusedNamingFileAndLine() throws {
        let good = ScoreFile(header: Self.header, columns: .calibrated, scores: Self.scores(.calibrated)).text
        let lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let columnLine = 6, firstRow = 7  // five header lines, the column header, then rows
        #expect(lines[columnLine - 1].hasPrefix("file\t"))
        func withField(_ k: Int, _ value: String, row: Int = firstRow) -> String {
            var l = lines
            var f = l[row - 1].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            f[k] = value
            l[row - 1] = f.joined(separator: "\t")
            return l.joined(separator: "\n")
        }
        func withLine(_ row: Int, _ text: String) -> String {
            var l = lines
            l[row - 1] = text
            return l.joined(separator: "\n")
        }
        let cases: [(text: String, line: Int, says: String)] = [
            ("", 1, "no column header"),
            (lines.prefix(5).joined(separator: "\n") + "\n", 6, "no column header"),
            (withLine(columnLine, "file\tseconds\tstart\tmodel\tspeaker\ttarget\tscore"), columnLine, "not a score file's column header"),
            (
                withLine(columnLine, "file\tseconds\tstart\tmodel\tspeaker\ttarget\tscore\traw_score\ttest_seconds\tenrol_seconds\tllr "), columnLine,
                "not a score file's column header"
            ),
            (withLine(3, "# models"), 3, "the header's models line has no value"),
            (withLine(firstRow, lines[firstRow - 1] + "\textra"), firstRow, "12 columns, the header has 11"),
            (withLine(firstRow + 1, ""), firstRow + 1, "an empty line among the rows"),
            (withField(1, "0"), firstRow, "seconds \"0\" is neither whole nor a segment length above 0"),
            (withField(1, "-1.5"), firstRow, "seconds \"-1.5\""),
            (withField(1, "inf"), firstRow, "seconds \"inf\""),
            (withField(1, "half"), firstRow, "seconds \"half\""),
            (withField(2, "-0.5"), firstRow, "start is -0.5"),
            (withField(2, "nan"), firstRow, "start is not a finite number"),
            (withField(5, "maybe"), firstRow, "target must be target or nontarget"),
            (withField(5, "nontarget"), firstRow, "the target column contradicts the model and speaker columns"),
            (withField(6, "nan"), firstRow, "score is not a finite number"),
            (withField(6, "-inf"), firstRow, "score is not a finite number"),
            (withField(6, "1e308"), firstRow, "score 1e308 is outside the ±10000"),
            (withField(7, "x"), firstRow, "raw_score is not a finite number"),
            (withField(7, "-20000"), firstRow, "raw_score -20000 is outside the ±10000"),
            (withField(8, "0"), firstRow, "test_seconds is 0; a trial's durations must be above 0 s"),
            (withField(9, "-3"), firstRow, "enrol_seconds is -3"),
            (withField(9, "nan"), firstRow, "enrol_seconds is not a finite number"),
            (withField(10, "nan"), firstRow, "llr is not a finite number"),
            (withLine(firstRow + 3, lines[firstRow - 1]), firstRow + 3, "the same trial as line \(firstRow)"),
        ]
        for c in cases {
            do {
                _ = try ScoreFile.parse(c.text, name: "dev.tsv")
                Issue.record("accepted: \(c.says)")
            } catch {
                guard case .badLine(let name, let line, let reason) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(name == "dev.tsv" && line == c.line && reason.contains(c.says), "\(c.says): \(error)")
                #expect("\(error)".hasPrefix("dev.tsv:\(c.line): "), "\(error)")
                #expect(!"\(error)".contains("\n"), "one line: \(error)")
            }
        }
        // The same row given in another part of the file as a number written otherwise is
        // still the same trial.
        let again = withLine(firstRow + 3, lines[firstRow - 1].replacingOccurrences(of: "\twhole\t0.0\t", with: "\twhole\t0\t"))
        #expect(throws: ScoreFileError.self) { try ScoreFile.parse(again, name: "dev.tsv") }
    }

    @Test func unreadableFilesAreRefusedNamingThem() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        #expect(throws: ScoreFileError.unreadable(dir.file("none.tsv"), reason: "no such file")) { try ScoreFile.read(path: dir.file("none.tsv")) }
        #expect(throws: ScoreFileError.unreadable(dir.path, reason: "is a folder")) { try ScoreFile.read(path: dir.path) }
        try Data([0x66, 0x69, 0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: dir.file("latin.tsv")))
        #expect(throws: ScoreFileError.unreadable(dir.file("latin.tsv"), reason: "cannot be read as UTF-8 text")) {
            try ScoreFile.read(path: dir.file("latin.tsv"))
        }
        #expect("\(ScoreFileError.unreadable("x.tsv", reason: "no such file"))" == "x.tsv: cannot read the score file (no such file)")
    }

    /// calibrate --scores and score-report read with the same reader: the same damaged file
    /// gets the same one line from both.
    @Test func calibrateAndScoreReportRefuseTheSameRowAlike() throws {
        let f = try CalibrationReliabilityTests.ScoreFixture()
        defer { f.dir.cleanup() }
        var rows = CalibrationReliabilityTests.ScoreFixture.rows()
        // Row 4 (line 5) is speaker a against model b: labelled target, it contradicts them.
        #expect(rows[3].contains("\tb\ta\tnontarget\t"))
        rows[3] = rows[3].replacingOccurrences(of: "\tnontarget\t", with: "\ttarget\t")
        let bad = try f.write("flipped.tsv", rows)
        let report = try CLI.run(["score-report", bad])
        let calibrate = try f.calibrate(bad)
        #expect(report.status == 1 && calibrate.status == 1, "\(report.stderr) \(calibrate.stderr)")
        #expect(
            report.stderr == calibrate.stderr && report.stderr.contains("flipped.tsv:5: the target column contradicts"),
            "\(report.stderr) | \(calibrate.stderr)")
    }
}
