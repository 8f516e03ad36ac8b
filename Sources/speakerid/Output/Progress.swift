import Foundation

/// Counts finished items and prints "label i/n" lines to standard error (at most ~20 lines).
final class Progress: @unchecked Sendable {
    // @unchecked: `done` is only touched under `lock`.
    private let lock = NSLock()
    private var done = 0
    private let total: Int, label: String, quiet: Bool
    private let start = Date()

    init(total: Int, label: String, quiet: Bool) {
        self.total = total
        self.label = label
        self.quiet = quiet
    }

    func tick() {
        if quiet { return }
        lock.lock()
        done += 1
        let d = done
        lock.unlock()
        report(done: d, total: total)
    }

    /// A callback for library progress reports (done, total), which carry their own total.
    var callback: @Sendable (Int, Int) -> Void { { [self] d, t in self.report(done: d, total: t) } }

    /// On a terminal: one bar redrawn in place, at most ten times a second. Otherwise (logs,
    /// pipes, CI): a plain line every 5% of the work.
    private func report(done d: Int, total: Int) {
        if quiet || total <= 0 { return }
        let el = Date().timeIntervalSince(start)
        let rate = Double(d) / max(el, 1e-9)
        let eta = d > 0 ? el / Double(d) * Double(total - d) : 0
        if Console.stderrIsTerminal {
            lock.lock()
            let due = d == total || el - lastDraw >= 0.1
            if due { lastDraw = el }
            lock.unlock()
            guard due else { return }
            let width = 30, filled = min(width, width * d / total)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let line = "\r\(label) [\(bar)] \(d)/\(total)  \(fmt(rate, 1))/s  ETA \(fmt(eta, 0)) s "
            FileHandle.standardError.write(Data((line + (d == total ? "\n" : "")).utf8))
            return
        }
        let step = max(1, total / 20)
        if d % step == 0 || d == total {
            Console.progress("\(label) \(d)/\(total) (\(fmt(rate, 1))/s, ETA \(fmt(eta, 0)) s)", quiet: false)
        }
    }

    private var lastDraw = -1.0
}
