import Foundation

/// A self-contained HTML page (inline SVG, no scripts, no external files) showing an
/// evaluation: accuracy versus test length, the confusion matrix as a heat map, per-speaker
/// accuracy, and with a UBM the DET curves and score histograms.
public enum HTMLReport {
    /// The whole page; `details` are (label, value) rows shown under the title.
    public static func render(_ r: EvaluationReport, title: String, details: [(String, String)] = []) -> String {
        let lengths = [r.whole] + r.segments
        var body = "<h1>\(esc(title))</h1>\n"
        body += "<table class=meta>" + details.map { "<tr><th>\(esc($0.0))</th><td>\(esc($0.1))</td></tr>" }.joined() + "</table>\n"
        body += "<section><h2>Accuracy versus test length</h2>\(table(lengths))\(accuracyChart(lengths))</section>\n"
        if lengths.contains(where: { $0.verification != nil }) {
            body += "<section><h2>Verification: DET curves</h2>\(detChart(lengths))</section>\n"
            if lengths.contains(where: { $0.calibration != nil }) {
                body += "<section><h2>Calibration: normalised Bayes error rate</h2>\(bayesErrorChart(lengths))"
                body +=
                    "<p>Solid: actual DCF of the scores taken as LLRs and decided at the Bayes threshold of each prior; dashed: the minimum DCF at that prior. Where they meet, the scores are well calibrated; the vertical line marks the evaluation's own prior and costs.</p></section>\n"
            }
            let histograms = lengths.compactMap { l in l.histogram.map { histogramChart($0, label: label(l)) } }
            if !histograms.isEmpty {
                body += "<section><h2>Score distributions</h2><div class=row>\(histograms.joined())</div></section>\n"
            }
        }
        body += "<section><h2>Per-speaker accuracy (whole files)</h2>\(speakerChart(r))</section>\n"
        body += "<section><h2>Confusion matrix (whole files; rows: true speaker)</h2>\(confusionChart(r))</section>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
            h1 { font-size: 1.6em; } h2 { font-size: 1.15em; margin-top: 0; }
            section { background: #fafafa; border: 1px solid #e3e3e3; border-radius: 8px; padding: 1em 1.2em; margin: 1em 0; }
            table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; }
            table.meta th { text-align: left; color: #555; font-weight: normal; } table.meta td { text-align: left; }
            .row { display: flex; flex-wrap: wrap; gap: 12px; } svg text { font: \(Int(fontSize))px system-ui, sans-serif; }
            </style></head><body>
            \(body)<p style="color:#777">SpeakerID \(SpeakerIDVersion.current)</p>
            </body></html>
            """
    }

    /// `s` escaped for HTML text and for attribute values in either kind of quotes.
    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static func label(_ l: LengthResult) -> String { l.seconds.map { "\(fmt($0)) s" } ?? "whole files" }
    static func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.2g", x) }
    static func pct(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

    static func table(_ ls: [LengthResult]) -> String {
        let v = ls.contains { $0.verification != nil }, o = ls.contains { $0.openSet != nil }
        var s = "<table><tr><th style='text-align:left'>test length</th><th>trials</th><th>accuracy</th>"
        if v { s += "<th>EER</th><th>minDCF</th>" }
        let c = ls.contains { $0.calibration != nil }
        if c { s += "<th>actDCF</th><th>Cllr</th><th>minCllr</th>" }
        if o { s += "<th>threshold</th><th>genuine accuracy</th><th>impostors accepted</th>" }
        s += "</tr>"
        for l in ls {
            s +=
                "<tr><td style='text-align:left'>\(label(l))</td><td>\(l.identification.trials)</td><td>\(String(format: "%.4f", l.identification.accuracy))</td>"
            if v { s += l.verification.map { "<td>\(pct($0.eer))</td><td>\(String(format: "%.4f", $0.minDCF))</td>" } ?? "<td></td><td></td>" }
            if c {
                s +=
                    l.calibration.map {
                        "<td>\(String(format: "%.4f", $0.actualDCF))</td><td>\(String(format: "%.4f", $0.cllr))</td><td>\(String(format: "%.4f", $0.minCllr))</td>"
                    } ?? "<td></td><td></td><td></td>"
            }
            if o {
                s +=
                    l.openSet.map {
                        "<td>\(String(format: "%.3f", $0.threshold))</td><td>\(String(format: "%.4f", $0.genuineAccuracy))</td><td>\(pct($0.impostorAcceptance))</td>"
                    } ?? "<td></td><td></td><td></td>"
            }
            s += "</tr>"
        }
        return s + "</table>"
    }

    /// A coordinate for an SVG attribute: one decimal, and never "nan" or "inf" (non-finite
    /// values, which the charts do not produce, are written as 0).
    static func num(_ x: Double) -> String { x.isFinite ? String(format: "%.1f", x) : "0" }

    /// Accuracy (y) against test length (x): segment lengths on a log scale with whole files as
    /// a dashed line, or, without segment lengths, one point for whole files.
    static func accuracyChart(_ ls: [LengthResult]) -> String {
        let w = 560.0, h = 280.0, l = 72.0, b = 46.0, t = 16.0, r = 24.0
        let segs = ls.compactMap { x in x.seconds.map { ($0, x.identification.accuracy, x.identification.trials) } }
            .filter { $0.2 > 0 && $0.0 > 0 }
        let whole = ls.first { $0.seconds == nil }
        let shown = segs.map(\.1) + (whole.map { [$0.identification.accuracy] } ?? [])
        // The lowest accuracy shown, less a margin, rounded down to a tenth.
        let minAcc = max(0, ((shown.min() ?? 1) - 0.05) * 10).rounded(.down) / 10
        let lo = segs.map(\.0).min() ?? 1, hi = segs.map(\.0).max() ?? 1
        func X(_ s: Double) -> Double {
            hi > lo ? l + 30 + (log(s) - log(lo)) / (log(hi) - log(lo)) * (w - l - r - 60) : (l + w - r) / 2
        }
        func Y(_ a: Double) -> Double { t + (1 - (a - minAcc) / (1 - minAcc)) * (h - t - b) }
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='accuracy versus test length'>"
        s += "<rect x='\(num(l))' y='\(num(t))' width='\(num(w - l - r))' height='\(num(h - t - b))' fill='white' stroke='#ccc'/>"
        for i in 0...4 {
            let a = minAcc + Double(i) / 4 * (1 - minAcc)
            s += "<line x1='\(num(l))' x2='\(num(w - r))' y1='\(num(Y(a)))' y2='\(num(Y(a)))' stroke='#eee'/>"
            s += "<text x='\(num(l - 6))' y='\(num(Y(a) + 4))' text-anchor='end'>\(String(format: "%.3f", a))</text>"
        }
        if segs.isEmpty, let whole {
            // Whole files only: one point, so the chart is not an empty frame.
            let a = whole.identification.accuracy, x = X(1), y = Y(a)
            s +=
                "<circle cx='\(num(x))' cy='\(num(y))' r='5' fill='#d1242f'><title>whole files: \(String(format: "%.4f", a)) (\(whole.identification.trials) trials)</title></circle>"
            s += "<text x='\(num(x + 10))' y='\(num(y < t + 20 ? y + 16 : y - 8))' fill='#d1242f'>\(String(format: "%.4f", a))</text>"
            s += "<text x='\(num(x))' y='\(num(h - b + 16))' text-anchor='middle'>whole files</text>"
        } else {
            for p in segs { s += "<text x='\(num(X(p.0)))' y='\(num(h - b + 16))' text-anchor='middle'>\(fmt(p.0)) s</text>" }
            if segs.count > 1 {
                s +=
                    "<polyline fill='none' stroke='#1f6feb' stroke-width='2' points='"
                    + segs.map { "\(num(X($0.0))),\(num(Y($0.1)))" }.joined(separator: " ") + "'/>"
            }
            for p in segs {
                s +=
                    "<circle cx='\(num(X(p.0)))' cy='\(num(Y(p.1)))' r='4' fill='#1f6feb'><title>\(fmt(p.0)) s: \(String(format: "%.4f", p.1)) (\(p.2) trials)</title></circle>"
            }
            if let whole {
                let y = Y(whole.identification.accuracy)
                s += "<line x1='\(num(l))' x2='\(num(w - r))' y1='\(num(y))' y2='\(num(y))' stroke='#d1242f' stroke-dasharray='5 4'/>"
                // The label below the line when the line is at the top of the frame.
                s +=
                    "<text x='\(num(w - r - 4))' y='\(num(y < t + 20 ? y + 14 : y - 5))' text-anchor='end' fill='#d1242f'>whole files \(String(format: "%.4f", whole.identification.accuracy))</text>"
            }
        }
        let xLabel = segs.isEmpty ? "test length" : "test length (seconds of speech, log scale)"
        s += "<text x='\(num((l + w - r) / 2))' y='\(num(h - 8))' text-anchor='middle'>\(xLabel)</text>"
        s += "<text transform='translate(16 \(num((t + h - b) / 2))) rotate(-90)' text-anchor='middle'>identification accuracy</text>"
        return s + "</svg>"
    }

    /// The DET chart's axes: P_fa and P_miss from 0.1% to 50%, with these ticks.
    static let detRange = (lo: 0.001, hi: 0.5)
    static let detTicks = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4]

    /// The normal deviate of `p` clipped to the DET chart's range, so points at 0 or 1 (or
    /// beyond the axes) land on the frame's edge.
    static func detDeviate(_ p: Double) -> Double {
        inverseNormalCDF(min(max(p.isNaN ? detRange.hi : p, detRange.lo), detRange.hi))
    }

    /// DET curves on normal-deviate (probit) axes through every operating point the metrics
    /// keep, with the EER diagonal, each curve's EER point (circle) and minDCF point (square),
    /// and a legend beside the plot.
    static func detChart(_ ls: [LengthResult]) -> String {
        let legendText = ls.map { length in
            length.verification.map { "\(label(length)): EER \(pct($0.eer)), minDCF \(String(format: "%.3f", $0.minDCF))" } ?? ""
        }
        let plot = 400.0, l = 56.0, t = 16.0, b = 44.0, legendW = max(120, (legendText.map(textWidth).max() ?? 0) + 34)
        let w = l + plot + 16 + legendW, h = t + plot + b
        let lo = detDeviate(detRange.lo), hi = detDeviate(detRange.hi)
        func X(_ p: Double) -> Double { l + (detDeviate(p) - lo) / (hi - lo) * plot }
        func Y(_ p: Double) -> Double { t + plot - (detDeviate(p) - lo) / (hi - lo) * plot }
        let colours = ["#d1242f", "#1f6feb", "#1a7f37", "#8250df", "#bf8700", "#0a3069"]
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='DET curves'>"
        s += "<rect x='\(num(l))' y='\(num(t))' width='\(num(plot))' height='\(num(plot))' fill='white' stroke='#ccc'/>"
        for p in detTicks {
            s += "<line x1='\(num(X(p)))' x2='\(num(X(p)))' y1='\(num(t))' y2='\(num(t + plot))' stroke='#eee'/>"
            s += "<text x='\(num(X(p)))' y='\(num(t + plot + 14))' text-anchor='middle'>\(fmt(100 * p))%</text>"
            s += "<line x1='\(num(l))' x2='\(num(l + plot))' y1='\(num(Y(p)))' y2='\(num(Y(p)))' stroke='#eee'/>"
            s += "<text x='\(num(l - 4))' y='\(num(Y(p) + 4))' text-anchor='end'>\(fmt(100 * p))%</text>"
        }
        s +=
            "<line x1='\(num(X(detRange.lo)))' y1='\(num(Y(detRange.lo)))' x2='\(num(X(detRange.hi)))' y2='\(num(Y(detRange.hi)))' stroke='#bbb' stroke-dasharray='3 3'><title>P_miss = P_fa</title></line>"
        var legend = 0
        for (i, length) in ls.enumerated() {
            guard let v = length.verification else { continue }
            let c = colours[i % colours.count]
            s += "<polyline fill='none' stroke='\(c)' stroke-width='1.5' stroke-linejoin='round' points='\(detPolyline(v.det, x: X, y: Y))'/>"
            s +=
                "<circle cx='\(num(X(v.eer)))' cy='\(num(Y(v.eer)))' r='4' fill='white' stroke='\(c)' stroke-width='2'><title>\(label(length)): EER \(pct(v.eer))</title></circle>"
            let m = v.minDCFPoint
            s +=
                "<rect x='\(num(X(m.falseAlarm) - 4))' y='\(num(Y(m.miss) - 4))' width='8' height='8' fill='\(c)'><title>\(label(length)): minDCF \(String(format: "%.4f", v.minDCF)) at P_fa \(pct(m.falseAlarm)), P_miss \(pct(m.miss))</title></rect>"
            let ly = t + 10 + 18 * Double(legend), lx = l + plot + 16
            s += "<line x1='\(num(lx))' x2='\(num(lx + 18))' y1='\(num(ly - 4))' y2='\(num(ly - 4))' stroke='\(c)' stroke-width='2'/>"
            s += "<text x='\(num(lx + 24))' y='\(num(ly))'>\(legendText[i])</text>"
            legend += 1
        }
        let ky = t + 10 + 18 * Double(legend) + 8, kx = l + plot + 16
        s +=
            "<circle cx='\(num(kx + 9))' cy='\(num(ky - 4))' r='4' fill='white' stroke='#555' stroke-width='2'/><text x='\(num(kx + 24))' y='\(num(ky))'>EER</text>"
        s += "<rect x='\(num(kx + 61))' y='\(num(ky - 8))' width='8' height='8' fill='#555'/><text x='\(num(kx + 74))' y='\(num(ky))'>minDCF</text>"
        s += "<text x='\(num(l + plot / 2))' y='\(num(h - 8))' text-anchor='middle'>false-alarm probability</text>"
        s += "<text transform='translate(14 \(num(t + plot / 2))) rotate(-90)' text-anchor='middle'>miss probability</text>"
        return s + "</svg>"
    }

    /// The normalised Bayes error-rate plot (Brümmer): actual and minimum normalised DCF with
    /// unit costs against the prior log-odds, one colour per test length, clipped at 1.
    static func bayesErrorChart(_ ls: [LengthResult]) -> String {
        let pw = 400.0, ph = 260.0, l = 48.0, t = 16.0, b = 44.0
        let legendText = ls.map { length in
            length.calibration.map { "\(label(length)): Cllr \(String(format: "%.3f", $0.cllr)), actDCF \(String(format: "%.3f", $0.actualDCF))" }
                ?? ""
        }
        let legendW = max(120, (legendText.map(textWidth).max() ?? 0) + 34)
        let w = l + pw + 16 + legendW, h = t + ph + b
        let all = ls.compactMap(\.calibration).flatMap(\.bayesError)
        let lo = all.map(\.logOdds).min() ?? -7, hi = all.map(\.logOdds).max() ?? 7
        func X(_ e: Double) -> Double { l + (e - lo) / max(hi - lo, 1e-9) * pw }
        func Y(_ d: Double) -> Double { t + ph - min(max(d, 0), 1) * ph }
        let colours = ["#d1242f", "#1f6feb", "#1a7f37", "#8250df", "#bf8700", "#0a3069"]
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='Bayes error-rate plot'>"
        s += "<rect x='\(num(l))' y='\(num(t))' width='\(num(pw))' height='\(num(ph))' fill='white' stroke='#ccc'/>"
        for e in stride(from: (lo / 2).rounded(.up) * 2, through: hi, by: 2) {
            s += "<line x1='\(num(X(e)))' x2='\(num(X(e)))' y1='\(num(t))' y2='\(num(t + ph))' stroke='#eee'/>"
            s += "<text x='\(num(X(e)))' y='\(num(t + ph + 14))' text-anchor='middle'>\(Int(e))</text>"
        }
        for d in stride(from: 0.0, through: 1.0, by: 0.25) {
            s += "<line x1='\(num(l))' x2='\(num(l + pw))' y1='\(num(Y(d)))' y2='\(num(Y(d)))' stroke='#eee'/>"
            s += "<text x='\(num(l - 4))' y='\(num(Y(d) + 4))' text-anchor='end'>\(String(format: "%.2f", d))</text>"
        }
        var legend = 0
        for (i, length) in ls.enumerated() {
            guard let cal = length.calibration else { continue }
            let c = colours[i % colours.count]
            let act = cal.bayesError.map { "\(num(X($0.logOdds))),\(num(Y($0.actual)))" }.joined(separator: " ")
            let min = cal.bayesError.map { "\(num(X($0.logOdds))),\(num(Y($0.minimum)))" }.joined(separator: " ")
            s += "<polyline fill='none' stroke='\(c)' stroke-width='1.5' points='\(act)'/>"
            s += "<polyline fill='none' stroke='\(c)' stroke-width='1.5' stroke-dasharray='4 3' points='\(min)'/>"
            let ly = t + 10 + 18 * Double(legend), lx = l + pw + 16
            s += "<line x1='\(num(lx))' x2='\(num(lx + 18))' y1='\(num(ly - 4))' y2='\(num(ly - 4))' stroke='\(c)' stroke-width='2'/>"
            s += "<text x='\(num(lx + 24))' y='\(num(ly))'>\(esc(legendText[i]))</text>"
            legend += 1
        }
        // The evaluation's own operating point: the Bayes threshold's prior log-odds.
        if let th = ls.compactMap(\.calibration).first?.threshold, -th >= lo, -th <= hi {
            s +=
                "<line x1='\(num(X(-th)))' x2='\(num(X(-th)))' y1='\(num(t))' y2='\(num(t + ph))' stroke='#555' stroke-dasharray='2 2'><title>the evaluation's prior and costs: effective prior log-odds \(String(format: "%.2f", -th))</title></line>"
        }
        s += "<text x='\(num(l + pw / 2))' y='\(num(h - 8))' text-anchor='middle'>prior log-odds, log(P / (1 - P))</text>"
        s += "<text transform='translate(14 \(num(t + ph / 2))) rotate(-90)' text-anchor='middle'>normalised DCF</text>"
        return s + "</svg>"
    }

    /// The polyline's points, dropping consecutive points that land on the same spot (such as
    /// the many beyond the axes, clipped to the frame's edge).
    static func detPolyline(_ det: [DetectionMetrics.DETPoint], x: (Double) -> Double, y: (Double) -> Double) -> String {
        var points: [String] = []
        for p in det {
            let xy = "\(num(x(p.falseAlarm))),\(num(y(p.miss)))"
            if points.last != xy { points.append(xy) }
        }
        return points.joined(separator: " ")
    }

    static func histogramChart(_ hgram: ScoreHistogram, label: String) -> String {
        let w = 340.0, h = 200.0, l = 10.0, b = 30.0, t = 20.0
        let n = hgram.targets.count
        let tt = Double(max(1, hgram.targets.reduce(0, +))), nt = Double(max(1, hgram.nonTargets.reduce(0, +)))
        let peak = max((hgram.targets.map { Double($0) / tt }).max() ?? 0, (hgram.nonTargets.map { Double($0) / nt }).max() ?? 0, 1e-9)
        let bw = (w - 2 * l) / Double(n)
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='score histogram \(esc(label))'>"
        s +=
            "<text x='\(l)' y='14'>\(esc(label)): <tspan fill='#1a7f37'>targets</tspan>, <tspan fill='#d1242f'>non-targets</tspan> (fraction per bin)</text>"
        for (counts, total, colour) in [(hgram.nonTargets, nt, "#d1242f"), (hgram.targets, tt, "#1a7f37")] {
            for (i, c) in counts.enumerated() where c > 0 {
                let hh = Double(c) / total / peak * (h - t - b)
                s += "<rect x='\(l + Double(i) * bw)' y='\(h - b - hh)' width='\(bw)' height='\(hh)' fill='\(colour)' fill-opacity='0.45'/>"
            }
        }
        s += "<line x1='\(l)' x2='\(w - l)' y1='\(h - b)' y2='\(h - b)' stroke='#999'/>"
        s +=
            "<text x='\(l)' y='\(h - b + 14)'>\(String(format: "%.2f", hgram.lower))</text><text x='\(w - l)' y='\(h - b + 14)' text-anchor='end'>\(String(format: "%.2f", hgram.lower + Double(n) * hgram.binWidth))</text>"
        s += "<text x='\(w / 2)' y='\(h - 4)' text-anchor='middle'>score</text>"
        return s + "</svg>"
    }

    /// The font size of chart text in pixels (the page's style sets it).
    static let fontSize = 11.0
    /// A generous estimate of the width in pixels of `text` at `fontSize` (the page's sans-serif
    /// font is not known, so each character is given about the advance of a wide font's):
    /// narrow letters and punctuation a third of an em, wide capitals and anything outside
    /// ASCII (accents, CJK) a whole em.
    static func textWidth(_ text: String) -> Double {
        var ems = 0.0
        for c in text.unicodeScalars {
            switch c {
            case "i", "j", "l", "I", ".", ",", ":", ";", "'", "|", "!", " ": ems += 0.35
            case "f", "r", "t", "(", ")", "[", "]", "-", "/": ems += 0.45
            case "W", "M", "m", "w", "@", "%": ems += 1.0
            case "A"..."Z", "&", "#": ems += 0.75
            case "a"..."z", "0"..."9", "_", "<", ">", "=", "+", "~", "\"", "*", "?": ems += 0.65
            default: ems += c.isASCII ? 0.65 : 1.0
            }
        }
        return ems * fontSize
    }
    /// Longer speaker names are shortened in the charts (whole names in a tooltip).
    static let maxNameCharacters = 24

    /// A speaker name as chart text: shortened in the middle with an ellipsis when long (names
    /// often differ only at the end), escaped.
    static func shortName(_ name: String) -> String {
        guard name.count > maxNameCharacters else { return name }
        let head = (maxNameCharacters - 1) / 2, tail = maxNameCharacters - 1 - head
        return String(name.prefix(head)) + "…" + String(name.suffix(tail))
    }

    /// The `<text>` content for a speaker name: the (shortened) name, with the whole name as a
    /// tooltip when shortened.
    static func nameText(_ name: String) -> String {
        let short = shortName(name)
        return short == name ? esc(name) : "<title>\(esc(name))</title>\(esc(short))"
    }

    /// The estimated width in pixels of the widest of these names as drawn.
    static func nameWidth(_ names: [String]) -> Double {
        names.map { textWidth(shortName($0)) }.max() ?? 0
    }

    static func speakerChart(_ r: EvaluationReport) -> String {
        let rowH = 18.0, nameW = max(60, nameWidth(r.speakers) + 12), barW = 360.0, textW = 130.0
        let w = nameW + barW + textW, h = Double(r.speakers.count) * rowH + 10
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='per-speaker accuracy'>"
        for (i, sp) in r.speakers.enumerated() {
            let a = r.perSpeaker[sp] ?? AccuracyResult(correct: 0, trials: 0)
            let y = Double(i) * rowH + 4
            s += "<text x='\(num(nameW - 6))' y='\(num(y + 12))' text-anchor='end'>\(nameText(sp))</text>"
            s += "<rect x='\(num(nameW))' y='\(num(y))' width='\(num(barW))' height='\(num(rowH - 4))' fill='#eee'/>"
            s +=
                "<rect x='\(num(nameW))' y='\(num(y))' width='\(num(barW * a.accuracy))' height='\(num(rowH - 4))' fill='\(a.accuracy >= 0.9 ? "#1a7f37" : a.accuracy >= 0.7 ? "#bf8700" : "#d1242f")'/>"
            s += "<text x='\(num(nameW + barW + 6))' y='\(num(y + 12))'>\(String(format: "%.3f", a.accuracy)) (\(a.correct)/\(a.trials))</text>"
        }
        return s + "</svg>"
    }

    /// The angle of the confusion matrix's column labels, up from the horizontal.
    static let columnLabelDegrees = 60.0

    /// Rows normalised to fractions; darker is more. The margins fit the longest (shortened)
    /// name: row labels on the left, column labels rotated above.
    static func confusionChart(_ r: EvaluationReport) -> String {
        let n = r.speakers.count
        let cell = max(10.0, min(28.0, 560.0 / Double(max(n, 1))))
        let labelW = nameWidth(r.speakers)
        let angle = columnLabelDegrees * Double.pi / 180
        // A rotated label rises sin(angle) of its length, plus its glyphs' height.
        let left = max(40, labelW + 10), top = max(20, labelW * sin(angle) + fontSize + 10)
        let columnX = { (j: Int) in left + Double(j) * cell + cell / 2 - fontSize * 0.3 }
        let w = max(left + cell * Double(n) + 10, columnX(n - 1) + labelW * cos(angle) + fontSize + 4)
        let h = top + cell * Double(n) + 10
        var s =
            "<svg width='\(Int(w.rounded(.up)))' height='\(Int(h.rounded(.up)))' viewBox='0 0 \(Int(w.rounded(.up))) \(Int(h.rounded(.up)))' role='img' aria-label='confusion matrix'>"
        for (j, sp) in r.speakers.enumerated() {
            s += "<text transform='translate(\(num(columnX(j))) \(num(top - 6))) rotate(-\(fmt(columnLabelDegrees)))'>\(nameText(sp))</text>"
        }
        for (i, sp) in r.speakers.enumerated() {
            let row = i < r.confusion.count ? r.confusion[i] : []
            let total = Double(max(1, row.reduce(0, +)))
            let y = top + Double(i) * cell
            s += "<text x='\(num(left - 6))' y='\(num(y + cell * 0.7))' text-anchor='end'>\(nameText(sp))</text>"
            for (j, c) in row.enumerated() where j < n {
                let f = Double(c) / total
                let colour = i == j ? "31,111,235" : "209,36,47"
                s +=
                    "<rect x='\(num(left + Double(j) * cell))' y='\(num(y))' width='\(num(cell - 1))' height='\(num(cell - 1))' fill='rgba(\(colour),\(String(format: "%.3f", c == 0 ? 0.04 : 0.15 + 0.85 * f)))'><title>\(esc(sp)) as \(esc(r.speakers[j])): \(c)</title></rect>"
                if c > 0 && cell >= 18 {
                    s +=
                        "<text x='\(num(left + Double(j) * cell + cell / 2))' y='\(num(y + cell * 0.68))' text-anchor='middle' fill='\(f > 0.5 ? "white" : "#222")'>\(c)</text>"
                }
            }
        }
        return s + "</svg>"
    }
}
