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
            body += "<section><h2>Score distributions</h2><div class=row>"
            for l in lengths { if let h = l.histogram { body += histogramChart(h, label: label(l)) } }
            body += "</div></section>\n"
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
        .row { display: flex; flex-wrap: wrap; gap: 12px; } svg text { font: 11px system-ui, sans-serif; }
        </style></head><body>
        \(body)<p style="color:#777">SpeakerID \(SpeakerIDVersion.current)</p>
        </body></html>
        """
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func label(_ l: LengthResult) -> String { l.seconds.map { "\(fmt($0)) s" } ?? "whole files" }
    static func fmt(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.2g", x) }
    static func pct(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }

    static func table(_ ls: [LengthResult]) -> String {
        let v = ls.contains { $0.verification != nil }, o = ls.contains { $0.openSet != nil }
        var s = "<table><tr><th style='text-align:left'>test length</th><th>trials</th><th>accuracy</th>"
        if v { s += "<th>EER</th><th>minDCF</th>" }
        if o { s += "<th>threshold</th><th>genuine accuracy</th><th>impostors accepted</th>" }
        s += "</tr>"
        for l in ls {
            s += "<tr><td style='text-align:left'>\(label(l))</td><td>\(l.identification.trials)</td><td>\(String(format: "%.4f", l.identification.accuracy))</td>"
            if v { s += l.verification.map { "<td>\(pct($0.eer))</td><td>\(String(format: "%.4f", $0.minDCF))</td>" } ?? "<td></td><td></td>" }
            if o { s += l.openSet.map { "<td>\(String(format: "%.3f", $0.threshold))</td><td>\(String(format: "%.4f", $0.genuineAccuracy))</td><td>\(pct($0.impostorAcceptance))</td>" } ?? "<td></td><td></td><td></td>" }
            s += "</tr>"
        }
        return s + "</table>"
    }

    /// Accuracy (y, 0-1) against segment length (x, log scale), whole files as a dashed line.
    static func accuracyChart(_ ls: [LengthResult]) -> String {
        let w = 520.0, h = 260.0, l = 50.0, b = 36.0, t = 12.0, r = 20.0
        let segs = ls.compactMap { x in x.seconds.map { ($0, x.identification.accuracy, x.identification.trials) } }.filter { $0.2 > 0 }
        let lo = segs.map { $0.0 }.min() ?? 0.5, hi = segs.map { $0.0 }.max() ?? 10
        let minAcc = max(0, ((ls.map(\.identification.accuracy) + [1]).min() ?? 0) - 0.05)
        func X(_ s: Double) -> Double { hi > lo ? l + (log(s) - log(lo)) / (log(hi) - log(lo)) * (w - l - r) : (l + w - r) / 2 }
        func Y(_ a: Double) -> Double { t + (1 - (a - minAcc) / (1 - minAcc)) * (h - t - b) }
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='accuracy versus test length'>"
        s += "<rect x='\(l)' y='\(t)' width='\(w - l - r)' height='\(h - t - b)' fill='white' stroke='#ccc'/>"
        for i in 0...4 {
            let a = minAcc + Double(i) / 4 * (1 - minAcc)
            s += "<line x1='\(l)' x2='\(w - r)' y1='\(Y(a))' y2='\(Y(a))' stroke='#eee'/><text x='\(l - 6)' y='\(Y(a) + 4)' text-anchor='end'>\(String(format: "%.3f", a))</text>"
        }
        for p in segs { s += "<text x='\(X(p.0))' y='\(h - b + 16)' text-anchor='middle'>\(fmt(p.0)) s</text>" }
        if segs.count > 1 {
            s += "<polyline fill='none' stroke='#1f6feb' stroke-width='2' points='" + segs.map { "\(X($0.0)),\(Y($0.1))" }.joined(separator: " ") + "'/>"
        }
        for p in segs { s += "<circle cx='\(X(p.0))' cy='\(Y(p.1))' r='4' fill='#1f6feb'><title>\(fmt(p.0)) s: \(String(format: "%.4f", p.1)) (\(p.2) trials)</title></circle>" }
        if let whole = ls.first(where: { $0.seconds == nil }) {
            let y = Y(whole.identification.accuracy)
            s += "<line x1='\(l)' x2='\(w - r)' y1='\(y)' y2='\(y)' stroke='#d1242f' stroke-dasharray='5 4'/><text x='\(w - r - 4)' y='\(y - 5)' text-anchor='end' fill='#d1242f'>whole files \(String(format: "%.4f", whole.identification.accuracy))</text>"
        }
        s += "<text x='\((l + w - r) / 2)' y='\(h - 4)' text-anchor='middle'>speech in the test segment</text>"
        return s + "</svg>"
    }

    /// DET curves on normal-deviate axes (P_fa and P_miss from 0.1% to 50%).
    static func detChart(_ ls: [LengthResult]) -> String {
        let w = 420.0, h = 420.0, m = 50.0
        let lo = inverseNormalCDF(0.001), hi = inverseNormalCDF(0.5)
        // Points beyond the axes (0.1%-50%) are drawn on the frame's edge.
        func P(_ p: Double) -> Double { inverseNormalCDF(min(max(p, 0.001), 0.5)) }
        func X(_ p: Double) -> Double { m + (P(p) - lo) / (hi - lo) * (w - 2 * m) }
        func Y(_ p: Double) -> Double { h - m - (P(p) - lo) / (hi - lo) * (h - 2 * m) }
        let colours = ["#d1242f", "#1f6feb", "#1a7f37", "#8250df", "#bf8700", "#0a3069"]
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='DET curves'>"
        s += "<rect x='\(m)' y='\(m)' width='\(w - 2 * m)' height='\(h - 2 * m)' fill='white' stroke='#ccc'/>"
        for p in [0.001, 0.01, 0.05, 0.1, 0.2, 0.5] {
            s += "<line x1='\(X(p))' x2='\(X(p))' y1='\(m)' y2='\(h - m)' stroke='#eee'/><text x='\(X(p))' y='\(h - m + 14)' text-anchor='middle'>\(fmt(100 * p))%</text>"
            s += "<line x1='\(m)' x2='\(w - m)' y1='\(Y(p))' y2='\(Y(p))' stroke='#eee'/><text x='\(m - 4)' y='\(Y(p) + 4)' text-anchor='end'>\(fmt(100 * p))%</text>"
        }
        s += "<line x1='\(X(0.001))' y1='\(Y(0.001))' x2='\(X(0.5))' y2='\(Y(0.5))' stroke='#ccc' stroke-dasharray='3 3'/>"
        for (i, l) in ls.enumerated() {
            guard let v = l.verification else { continue }
            let c = colours[i % colours.count]
            s += "<polyline fill='none' stroke='\(c)' stroke-width='2' points='" + v.det.map { "\(X($0.falseAlarm)),\(Y($0.miss))" }.joined(separator: " ") + "'/>"
            s += "<text x='\(w - m - 4)' y='\(m + 14 + 14 * Double(i))' text-anchor='end' fill='\(c)'>\(label(l)): EER \(pct(v.eer))</text>"
        }
        s += "<text x='\(w / 2)' y='\(h - 12)' text-anchor='middle'>false-alarm probability</text>"
        s += "<text transform='translate(14 \(h / 2)) rotate(-90)' text-anchor='middle'>miss probability</text>"
        return s + "</svg>"
    }

    static func histogramChart(_ hgram: ScoreHistogram, label: String) -> String {
        let w = 340.0, h = 200.0, l = 10.0, b = 30.0, t = 20.0
        let n = hgram.targets.count
        let tt = Double(max(1, hgram.targets.reduce(0, +))), nt = Double(max(1, hgram.nonTargets.reduce(0, +)))
        let peak = max((hgram.targets.map { Double($0) / tt }).max() ?? 0, (hgram.nonTargets.map { Double($0) / nt }).max() ?? 0, 1e-9)
        let bw = (w - 2 * l) / Double(n)
        var s = "<svg width='\(Int(w))' height='\(Int(h))' viewBox='0 0 \(Int(w)) \(Int(h))' role='img' aria-label='score histogram \(esc(label))'>"
        s += "<text x='\(l)' y='14'>\(esc(label)): <tspan fill='#1a7f37'>targets</tspan>, <tspan fill='#d1242f'>non-targets</tspan> (fraction per bin)</text>"
        for (counts, total, colour) in [(hgram.nonTargets, nt, "#d1242f"), (hgram.targets, tt, "#1a7f37")] {
            for (i, c) in counts.enumerated() where c > 0 {
                let hh = Double(c) / total / peak * (h - t - b)
                s += "<rect x='\(l + Double(i) * bw)' y='\(h - b - hh)' width='\(bw)' height='\(hh)' fill='\(colour)' fill-opacity='0.45'/>"
            }
        }
        s += "<line x1='\(l)' x2='\(w - l)' y1='\(h - b)' y2='\(h - b)' stroke='#999'/>"
        s += "<text x='\(l)' y='\(h - b + 14)'>\(String(format: "%.2f", hgram.lower))</text><text x='\(w - l)' y='\(h - b + 14)' text-anchor='end'>\(String(format: "%.2f", hgram.lower + Double(n) * hgram.binWidth))</text>"
        s += "<text x='\(w / 2)' y='\(h - 4)' text-anchor='middle'>score</text>"
        return s + "</svg>"
    }

    static func speakerChart(_ r: EvaluationReport) -> String {
        let rowH = 18.0, nameW = 150.0, barW = 360.0, textW = 130.0
        let h = Double(r.speakers.count) * rowH + 10
        var s = "<svg width='\(Int(nameW + barW + textW))' height='\(Int(h))' viewBox='0 0 \(Int(nameW + barW + textW)) \(Int(h))' role='img' aria-label='per-speaker accuracy'>"
        for (i, sp) in r.speakers.enumerated() {
            let a = r.perSpeaker[sp] ?? AccuracyResult(correct: 0, trials: 0)
            let y = Double(i) * rowH + 4
            s += "<text x='\(nameW - 6)' y='\(y + 12)' text-anchor='end'>\(esc(sp))</text>"
            s += "<rect x='\(nameW)' y='\(y)' width='\(barW)' height='\(rowH - 4)' fill='#eee'/>"
            s += "<rect x='\(nameW)' y='\(y)' width='\(barW * a.accuracy)' height='\(rowH - 4)' fill='\(a.accuracy >= 0.9 ? "#1a7f37" : a.accuracy >= 0.7 ? "#bf8700" : "#d1242f")'/>"
            s += "<text x='\(nameW + barW + 6)' y='\(y + 12)'>\(String(format: "%.3f", a.accuracy)) (\(a.correct)/\(a.trials))</text>"
        }
        return s + "</svg>"
    }

    /// Rows normalised to fractions; darker is more.
    static func confusionChart(_ r: EvaluationReport) -> String {
        let n = r.speakers.count
        let cell = max(10.0, min(28.0, 560.0 / Double(max(n, 1)))), nameW = 150.0
        let size = nameW + cell * Double(n) + 10
        var s = "<svg width='\(Int(size))' height='\(Int(size))' viewBox='0 0 \(Int(size)) \(Int(size))' role='img' aria-label='confusion matrix'>"
        for (i, sp) in r.speakers.enumerated() {
            let total = Double(max(1, r.confusion[i].reduce(0, +)))
            let y = nameW + Double(i) * cell
            s += "<text x='\(nameW - 6)' y='\(y + cell * 0.7)' text-anchor='end'>\(esc(sp))</text>"
            s += "<text transform='translate(\(nameW + Double(i) * cell + cell * 0.7) \(nameW - 6)) rotate(-60)'>\(esc(sp))</text>"
            for (j, c) in r.confusion[i].enumerated() {
                let f = Double(c) / total
                let colour = i == j ? "31,111,235" : "209,36,47"
                s += "<rect x='\(nameW + Double(j) * cell)' y='\(y)' width='\(cell - 1)' height='\(cell - 1)' fill='rgba(\(colour),\(String(format: "%.3f", c == 0 ? 0.04 : 0.15 + 0.85 * f)))'><title>\(esc(sp)) as \(esc(r.speakers[j])): \(c)</title></rect>"
                if c > 0 && cell >= 18 { s += "<text x='\(nameW + Double(j) * cell + cell / 2)' y='\(y + cell * 0.68)' text-anchor='middle' fill='\(f > 0.5 ? "white" : "#222")'>\(c)</text>" }
            }
        }
        return s + "</svg>"
    }
}
