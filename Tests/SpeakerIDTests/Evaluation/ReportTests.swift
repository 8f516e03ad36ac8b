import Foundation
import Testing
@testable import SpeakerID

/// The HTML report's charts: data marks and axis labels present, names escaped and inside the
/// picture, DET axes on the probit scale with the EER and minDCF marked, no NaN or infinity.
struct ReportTests {
    static func length(_ seconds: Double?, correct: Int, trials: Int, verification: DetectionMetrics? = nil) -> LengthResult {
        LengthResult(
            seconds: seconds, identification: AccuracyResult(correct: correct, trials: trials),
            verification: verification, openSet: nil, histogram: nil)
    }

    /// A report over `speakers` whose whole files all score right but the last speaker's.
    static func report(speakers: [String], segments: [LengthResult] = [], verification: DetectionMetrics? = nil) -> EvaluationReport {
        let n = speakers.count
        var confusion = (0..<n).map { i in (0..<n).map { j in i == j ? 3 : 0 } }
        confusion[n - 1][n - 1] = 2
        confusion[n - 1][0] = 1
        var per: [String: AccuracyResult] = [:]
        for (i, s) in speakers.enumerated() { per[s] = AccuracyResult(correct: confusion[i][i], trials: 3) }
        return EvaluationReport(
            speakers: speakers, whole: length(nil, correct: 3 * n - 1, trials: 3 * n, verification: verification),
            segments: segments, perSpeaker: per, confusion: confusion, skipped: [],
            segmentNormalization: .file, scoreNormalization: .none, thresholdSource: nil, seconds: 1)
    }

    /// The `<svg>` element whose aria-label is `label`.
    static func svg(_ html: String, label: String) -> String? {
        guard let open = html.range(of: "aria-label='\(label)'"),
            let start = html.range(of: "<svg", options: .backwards, range: html.startIndex..<open.lowerBound),
            let end = html.range(of: "</svg>", range: open.upperBound..<html.endIndex)
        else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    /// Every match of `pattern`'s capture groups in `s`.
    static func matches(_ pattern: String, in s: String) throws -> [[String]] {
        let re = try NSRegularExpression(pattern: pattern)
        let ns = s as NSString
        return re.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { m in
            (1..<m.numberOfRanges).map { ns.substring(with: m.range(at: $0)) }
        }
    }

    /// The viewBox's width and height.
    static func viewBox(_ svg: String) throws -> (w: Double, h: Double) {
        let v = try #require(try matches("viewBox='0 0 ([0-9.]+) ([0-9.]+)'", in: svg).first)
        return (try #require(Double(v[0])), try #require(Double(v[1])))
    }

    /// Text with its markup (tooltips too) removed and entities decoded.
    static func visibleText(_ s: String) -> String {
        s.replacingOccurrences(of: "<title>.*?</title>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// A label's width in pixels: the report's estimate, but at least 0.6 em a character.
    static func extent(_ label: String) -> Double {
        max(HTMLReport.textWidth(label), 0.6 * HTMLReport.fontSize * Double(label.count))
    }

    /// Attribute values or numbers that are not finite.
    static func nonFinite(_ html: String) throws -> [String] {
        try matches("(='[^']*(?:nan|inf)[^']*')", in: html.lowercased()).map { $0[0] }
    }

    @Test func wholeFilesOnlyAccuracyChartShowsAPointAndAxisLabels() throws {
        let html = HTMLReport.render(Self.report(speakers: ["a", "b", "c"]), title: "t")
        let chart = try #require(Self.svg(html, label: "accuracy versus test length"))
        #expect(chart.contains("<circle"), "the accuracy chart has no data mark")
        #expect(chart.contains(">whole files<"))
        #expect(chart.contains(">test length") && chart.contains(">identification accuracy<"), "axis labels missing")
        // With segment lengths too: their points and the same axis labels.
        let withSegments = HTMLReport.render(
            Self.report(speakers: ["a", "b"], segments: [Self.length(1, correct: 3, trials: 6), Self.length(2, correct: 5, trials: 6)]), title: "t")
        let chart2 = try #require(Self.svg(withSegments, label: "accuracy versus test length"))
        #expect(chart2.components(separatedBy: "<circle").count - 1 == 2)
        #expect(chart2.contains(">test length (seconds of speech, log scale)<") && chart2.contains(">identification accuracy<"))
        #expect(try Self.nonFinite(html + withSegments).isEmpty)
    }

    @Test func longSpeakerNamesAreEscapedAndFitInTheConfusionMatrix() throws {
        let long = "Dr <Jane> \"J&J\" O'Brien-Smithsonian 1234"  // 40 characters
        #expect(long.count == 40)
        let speakers = [long, "bob & <alice>", "carol"]
        let html = HTMLReport.render(Self.report(speakers: speakers), title: "t")
        #expect(!html.contains("<Jane>") && !html.contains("<alice>") && !html.contains("J&J"), "unescaped name")
        let chart = try #require(Self.svg(html, label: "confusion matrix"))
        let box = try Self.viewBox(chart)
        let rise = sin(60 * Double.pi / 180), run = cos(60 * Double.pi / 180)
        // Column labels: rotated 60 degrees up from their anchor; the glyphs' height on top.
        let columns = try Self.matches("<text transform='translate\\(([0-9.]+) ([0-9.]+)\\) rotate\\(-60\\)'>(.*?)</text>", in: chart)
        #expect(columns.count == speakers.count)
        for c in columns {
            let x = try #require(Double(c[0])), y = try #require(Double(c[1]))
            let extent = Self.extent(Self.visibleText(c[2]))
            #expect(y - extent * rise - HTMLReport.fontSize >= 0, "\(c[2]) is cut at the top")
            #expect(x + extent * run + HTMLReport.fontSize * rise <= box.w, "\(c[2]) is cut at the right")
        }
        // Row labels: right-aligned before the grid.
        let rows = try Self.matches("<text x='([0-9.]+)' y='[0-9.]+' text-anchor='end'>(.*?)</text>", in: chart)
        #expect(rows.count == speakers.count)
        for r in rows {
            let x = try #require(Double(r[0]))
            #expect(x - Self.extent(Self.visibleText(r[1])) >= 0, "\(r[1]) is cut at the left")
        }
        // A shortened name keeps its whole self as a tooltip.
        #expect(chart.contains("<title>\(HTMLReport.esc(long))</title>"))
        #expect(try Self.nonFinite(html).isEmpty)
    }

    @Test func detChartHasProbitTicksMarksTheEERAndMinDCFAndNoNaN() throws {
        // Separable scores put points at P = 0 and 1 and the EER at 0, beyond the axes.
        let separable = try #require(DetectionMetrics(targets: [2, 3, 4], nonTargets: [0, 1]))
        let tar = DETCurveTests.scores(500, mean: 2, seed: 5), non = DETCurveTests.scores(5000, mean: 0, seed: 6)
        let overlapping = try #require(DetectionMetrics(targets: tar, nonTargets: non))
        let r = Self.report(
            speakers: ["a", "b"], segments: [Self.length(2, correct: 4, trials: 6, verification: overlapping)], verification: separable)
        let html = HTMLReport.render(r, title: "t")
        let chart = try #require(Self.svg(html, label: "DET curves"))
        for tick in ["0.1%", "0.5%", "1%", "2%", "5%", "10%", "20%", "40%"] {
            #expect(chart.contains(">\(tick)<"), "tick \(tick) missing")
        }
        #expect(chart.contains("EER \(HTMLReport.pct(overlapping.eer))") && chart.contains("minDCF"))
        // Each curve: a polyline, an EER circle on the diagonal and a minDCF square.
        #expect(chart.components(separatedBy: "<polyline").count - 1 == 2)
        let eerMarks = try Self.matches("<circle cx='([0-9.]+)' cy='([0-9.]+)' r='4' fill='white' stroke='#", in: chart)
            .map { $0.compactMap(Double.init) }
        #expect(eerMarks.count == 2 + 1)  // two curves and the legend's key
        let diagonal = try #require(
            try Self.matches("<line x1='([0-9.]+)' y1='([0-9.]+)' x2='([0-9.]+)' y2='([0-9.]+)' stroke='#bbb'", in: chart).first
        )
        .compactMap(Double.init)
        for m in eerMarks.prefix(2) {
            #expect(DETCurveTests.distance((m[0], m[1]), (diagonal[0], diagonal[1]), (diagonal[2], diagonal[3])) < 0.2, "EER mark off the diagonal")
        }
        #expect(chart.contains("minDCF \(String(format: "%.4f", overlapping.minDCF)) at P_fa"))
        // The overlapping curve passes through its EER mark (in chart coordinates).
        let lines = try Self.matches("<polyline [^>]*points='([^']*)'", in: chart)
        let points = try #require(lines.last?[0]).split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
        let e = (eerMarks[1][0], eerMarks[1][1])
        let nearest = zip(points, points.dropFirst()).map { DETCurveTests.distance(e, ($0[0], $0[1]), ($1[0], $1[1])) }.min() ?? .infinity
        #expect(nearest < 0.5, "the curve passes \(nearest) px from its EER mark")
        let bad = try Self.nonFinite(html)
        #expect(bad.isEmpty, "\(bad)")
    }
}
