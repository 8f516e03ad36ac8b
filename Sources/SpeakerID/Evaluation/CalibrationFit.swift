import Foundation

/// One development trial for fitting a calibration: a score, the speech behind it, and
/// whether the claimed speaker was the true one.
public struct CalibrationTrial: Sendable, Equatable {
    public var score: Double
    /// Seconds of speech in the test clip or segment.
    public var testSeconds: Double
    /// Seconds of speech the model was enrolled on.
    public var enrolSeconds: Double
    public var isTarget: Bool

    /// A trial; durations are only used by a calibration with the duration quality measure.
    public init(score: Double, testSeconds: Double, enrolSeconds: Double, isTarget: Bool) {
        self.score = score
        self.testSeconds = testSeconds
        self.enrolSeconds = enrolSeconds
        self.isTarget = isTarget
    }
}

/// Fitting a calibration to development trials: training, not decision time (Scoring holds the
/// calibration and its file, which every decision reads).
extension Calibration {
    /// Fewer development target (or non-target) trials than this are refused.
    public static let minimumTrials = 10
    /// The smallest slope of the LLR in the score at any duration of a duration calibration,
    /// as a fraction of the slope of the plain calibration (without the quality measure).
    public static let minimumSlopeFraction = 0.05
    /// The largest score magnitude a fit takes: scores are average log-likelihood ratios per
    /// frame, or normalised ones, tens at most; a score of 1e308 made the fit exhaust memory.
    public static let maximumScore = 10_000.0

    /// Fits a calibration to development trials by prior-weighted logistic regression
    /// (Newton's method with a line search; a tiny ridge keeps it defined when a quality
    /// measure does not vary). Refuses a prior outside `priorRange`, fewer than `minimumTrials`
    /// targets or non-targets, non-finite scores, durations that are not positive (with the
    /// duration measure), and development scores that do not rise with the target hypothesis.
    /// With the duration measure the slope is kept at least `minimumSlopeFraction` of the plain
    /// fit's over the durations of the trials (the convex problem solved exactly over the
    /// active sets of those constraints), and the durations are recorded for `llr` to clamp to.
    public static func fit(
        _ trials: [CalibrationTrial], prior: Double = 0.01, quality: CalibrationQuality = .none,
        provenance: CalibrationProvenance
    ) throws(CalibrationError) -> Calibration {
        guard prior > 0 && prior < 1 else { throw .invalid("the prior must be between 0 and 1 (exclusive); got \(prior)") }
        guard priorRange.contains(prior) else {
            throw .invalid(
                "the prior the trials are weighted for is \(prior), outside \(priorRange.lowerBound) to 1 - \(priorRange.lowerBound): one class's trials would carry no weight and the Bayes threshold would leave every trial on one side (choose a prior and costs nearer to each other)"
            )
        }
        let targets = trials.filter(\.isTarget).count, nonTargets = trials.count - targets
        if targets < minimumTrials || nonTargets < minimumTrials {
            throw .tooFewTrials(targets: targets, nonTargets: nonTargets, needed: minimumTrials)
        }
        if let bad = trials.first(where: { !$0.score.isFinite }) { throw .invalid("a development score is not a finite number (\(bad.score))") }
        if let bad = trials.first(where: { abs($0.score) > maximumScore }) {
            throw .invalid(
                "a development score (\(String(format: "%.3g", bad.score))) is outside the ±\(Int(maximumScore)) a score can plausibly take")
        }
        let timed = trials.allSatisfy { $0.testSeconds > 0 && $0.testSeconds.isFinite && $0.enrolSeconds > 0 && $0.enrolSeconds.isFinite }
        if quality == .duration && !timed {
            let bad =
                trials.first { !($0.testSeconds > 0 && $0.testSeconds.isFinite) }.map { "test duration \($0.testSeconds)" }
                ?? trials.first { !($0.enrolSeconds > 0 && $0.enrolSeconds.isFinite) }.map { "enrolment duration \($0.enrolSeconds)" } ?? ""
            throw .invalid("a development trial has a \(bad) s; the duration quality measure needs positive durations")
        }
        let testRange = timed ? trials.map(\.testSeconds).min()!...trials.map(\.testSeconds).max()! : nil
        let enrolRange = timed ? trials.map(\.enrolSeconds).min()!...trials.map(\.enrolSeconds).max()! : nil
        let y = trials.map(\.isTarget)
        let offset = log(prior / (1 - prior))
        let wt = prior / Double(targets), wn = (1 - prior) / Double(nonTargets)
        let plainX = trials.map { features(score: $0.score, testSeconds: 0, enrolSeconds: 0, quality: .none) }
        let plain = newton(x: plainX, y: y, wt: wt, wn: wn, offset: offset, start: [1, 0])
        guard plain.w.allSatisfy(\.isFinite) else { throw .invalid("the fit did not converge (are targets and non-targets separable?)") }
        guard plain.w[0] > 0 else {
            throw .invalid(
                "the development scores do not rise with the target hypothesis (fitted slope \(plain.w[0])): target trials do not score above non-target ones, so no calibration can map them to LLRs that rise with the score"
            )
        }
        var w = plain.w
        if quality == .duration, let testRange, let enrolRange {
            let x = trials.map { features(score: $0.score, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, quality: .duration) }
            let floor = minimumSlopeFraction * plain.w[0]
            let rows = corners(test: testRange, enrol: enrolRange).map { slopeRow(testSeconds: $0.0, enrolSeconds: $0.1) }
            func feasible(_ v: [Double]) -> Bool { v.allSatisfy(\.isFinite) && rows.allSatisfy { dot(v, $0) >= floor * (1 - 1e-9) } }
            // The plain fit, as a duration fit: a feasible start.
            let start = [plain.w[0], 0, 0, plain.w[1], 0, 0]
            var best: (w: [Double], f: Double)?
            let free = newton(x: x, y: y, wt: wt, wn: wn, offset: offset, start: start)
            if feasible(free.w) {
                best = free
            } else {
                // The constrained optimum has some corners' slopes at the floor: try every set of
                // at most three (the slope has three coefficients), keep the best feasible one.
                let n = rows.count
                for mask in 1..<(1 << n) where mask.nonzeroBitCount <= 3 {
                    let active = (0..<n).filter { mask & (1 << $0) != 0 }.map { rows[$0] }
                    let r = newton(x: x, y: y, wt: wt, wn: wn, offset: offset, start: start, equal: active, to: floor)
                    if feasible(r.w), best.map({ r.f < $0.f }) ?? true { best = r }
                }
            }
            guard let best else {
                throw .invalid(
                    "the duration calibration cannot keep the LLR rising with the score over the development trials' durations (\(testRange.lowerBound)-\(testRange.upperBound) s of test speech); use --quality none"
                )
            }
            w = best.w
        }
        guard w.allSatisfy(\.isFinite) else { throw .invalid("the fit did not converge (are targets and non-targets separable?)") }
        return Calibration(
            quality: quality, weights: w, trainingPrior: prior, provenance: provenance,
            toolVersion: SpeakerIDVersion.current, testSeconds: testRange, enrolSeconds: enrolRange)
    }

    /// Newton's method with a line search for sum_i c_i softplus(-+(w.x_i + offset)) plus a
    /// tiny ridge, optionally subject to `equal` . w = `to` for each row (the step solves the
    /// KKT system from a start projected onto the constraints). Returns the weights and the
    /// objective.
    static func newton(
        x: [[Double]], y: [Bool], wt: Double, wn: Double, offset: Double, start: [Double],
        equal: [[Double]] = [], to target: Double = 0
    ) -> (w: [Double], f: Double) {
        let d = start.count, m = equal.count
        let ridge = 1e-8
        func objective(_ w: [Double]) -> Double {
            var f = 0.0
            for (xi, yi) in zip(x, y) {
                let z = dot(w, xi) + offset
                f += yi ? wt * CalibrationMetrics.softplus(-z) : wn * CalibrationMetrics.softplus(z)
            }
            return f + ridge * w.reduce(0) { $0 + $1 * $1 }
        }
        var w = start
        if m > 0 {
            // Project the start: w + C^T (C C^T)^-1 (target - C w).
            let cct = equal.map { a in equal.map { b in dot(a, b) } }
            guard let lambda = solve(cct, equal.map { target - dot($0, w) }) else { return (w.map { _ in .nan }, .infinity) }
            for (row, l) in zip(equal, lambda) { for k in 0..<d { w[k] += l * row[k] } }
        }
        var f = objective(w)
        for _ in 0..<100 {
            var g = w.map { 2 * ridge * $0 }
            var h = [[Double]](repeating: [Double](repeating: 0, count: d + m), count: d + m)
            for k in 0..<d { h[k][k] = 2 * ridge }
            for (xi, yi) in zip(x, y) {
                let z = dot(w, xi) + offset
                let p = 1 / (1 + exp(-z))
                let c = yi ? wt : wn
                let r = yi ? p - 1 : p
                for a in 0..<d {
                    g[a] += c * r * xi[a]
                    for b in 0...a { h[a][b] += c * p * (1 - p) * xi[a] * xi[b] }
                }
            }
            for a in 0..<d { for b in (a + 1)..<d { h[a][b] = h[b][a] } }
            for (j, row) in equal.enumerated() {
                for k in 0..<d {
                    h[d + j][k] = row[k]
                    h[k][d + j] = row[k]
                }
            }
            guard let full = solve(h, g + [Double](repeating: 0, count: m)) else { break }
            let step = Array(full.prefix(d))
            var t = 1.0, improved = false
            while t > 1e-10 {
                let candidate = zip(w, step).map { $0 - t * $1 }
                let fc = objective(candidate)
                if fc <= f {
                    improved = f - fc > 1e-15 * max(1, abs(f))
                    w = candidate
                    f = fc
                    break
                }
                t /= 2
            }
            if !improved { break }
        }
        return (w, f)
    }

    /// Solves H x = g by Gaussian elimination with partial pivoting; nil if singular.
    static func solve(_ h: [[Double]], _ g: [Double]) -> [Double]? {
        let n = g.count
        var a = h, b = g
        for c in 0..<n {
            guard let p = (c..<n).max(by: { abs(a[$0][c]) < abs(a[$1][c]) }), abs(a[p][c]) > 1e-300 else { return nil }
            a.swapAt(c, p)
            b.swapAt(c, p)
            for r in (c + 1)..<n {
                let f = a[r][c] / a[c][c]
                if f == 0 { continue }
                for k in c..<n { a[r][k] -= f * a[c][k] }
                b[r] -= f * b[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for k in (r + 1)..<n { s -= a[r][k] * x[k] }
            x[r] = s / a[r][r]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}

/// Fitting the fusion of the two systems.
extension Calibration {
    /// Fits the fusion of GMM-UBM and d-vector scores of the same development trials (the same
    /// order; `dvector[i]` is `gmm[i]`'s trial scored by the d-vector system): each system's own
    /// calibration first (`fit`, with `quality`), then the linear logistic regression of their
    /// two LLRs (BOSARIS's fusion, prior-weighted as `fit` is). Refuses trials that do not pair
    /// up, and a fusion that would weigh a system negatively (its LLR would fall as that
    /// system's score rose): then one system alone is the better choice, and the message says so.
    public static func fitFusion(
        gmm: [CalibrationTrial], dvector: [CalibrationTrial], prior: Double = 0.01, quality: CalibrationQuality = .none,
        provenance: CalibrationProvenance
    ) throws(CalibrationError) -> Calibration {
        guard gmm.count == dvector.count,
            zip(gmm, dvector).allSatisfy({ $0.isTarget == $1.isTarget && $0.testSeconds == $1.testSeconds && $0.enrolSeconds == $1.enrolSeconds })
        else {
            throw .invalid("the two systems' development trials do not pair up")
        }
        var gp = provenance, dp = provenance
        gp.system = .gmm
        gp.encoder = nil
        dp.system = .dvector
        let g = try fit(gmm, prior: prior, quality: quality, provenance: gp)
        let d = try fit(dvector, prior: prior, quality: quality, provenance: dp)
        let x = zip(gmm, dvector).map { a, b in
            [
                g.llr(score: a.score, testSeconds: a.testSeconds, enrolSeconds: a.enrolSeconds),
                d.llr(score: b.score, testSeconds: b.testSeconds, enrolSeconds: b.enrolSeconds), 1,
            ]
        }
        let targets = gmm.filter(\.isTarget).count, nonTargets = gmm.count - targets
        let wt = prior / Double(targets), wn = (1 - prior) / Double(nonTargets)
        let fused = newton(x: x, y: gmm.map(\.isTarget), wt: wt, wn: wn, offset: log(prior / (1 - prior)), start: [0.5, 0.5, 0])
        guard fused.w.allSatisfy(\.isFinite) else { throw .invalid("the fusion did not converge (are targets and non-targets separable?)") }
        guard fused.w[0] >= 0, fused.w[1] >= 0 else {
            let weak = fused.w[0] < 0 ? "gmm" : "dvector"
            throw .invalid(
                "the fusion weighs the \(weak) system negatively (weights \(fused.w[0]), \(fused.w[1])): on these trials it adds nothing the other system does not; use --system \(weak == "gmm" ? "dvector" : "gmm") alone"
            )
        }
        var p = provenance
        p.system = .fusion
        var c = Calibration(
            quality: .none, weights: fused.w, trainingPrior: prior, provenance: p, toolVersion: g.toolVersion,
            testSeconds: g.testSecondsRange, enrolSeconds: g.enrolSecondsRange)
        c.parts = [g, d]
        return c
    }
}
