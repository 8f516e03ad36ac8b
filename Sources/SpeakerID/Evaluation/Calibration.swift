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

/// Quality measures a calibration may take besides the score.
public enum CalibrationQuality: String, Codable, Sendable, CaseIterable {
    /// The score alone: LLR = a s + b.
    case none
    /// The score with the log speech durations of the test (q_t) and of the model's enrolment
    /// (q_e), scale and offset both depending on them:
    /// LLR = (a + a_t q_t + a_e q_e) s + b + b_t q_t + b_e q_e.
    case duration
}

/// What a calibration was trained on and for: it is refused for scores made otherwise.
public struct CalibrationProvenance: Codable, Sendable, Equatable {
    /// CRC-64 (hex) of the UBM the scores are ratios against; nil for models trained by EM.
    public var ubmChecksum: String?
    /// `none`, `tnorm`, `znorm` or `snorm`.
    public var scoreNormalization: ScoreNormalizationMode
    public var frontEnd: FrontEndOptions
    /// Development trials the fit saw.
    public var targetTrials: Int
    public var nonTargetTrials: Int
    /// Test lengths of the development trials (0 for whole files).
    public var segmentSeconds: [Double]
    /// Where the trials came from (a corpus split or a score file).
    public var source: String
    /// With T-norm or S-norm: `ScoreSystem.checksum(models:)` of the cohort models the scores
    /// were normalised against (format version 2; nil in version-1 files, which did not record it).
    public var tnormCohort: String?
    /// With Z-norm or S-norm: `ScoreSystem.checksum(utterances:)` of the cohort utterances.
    public var znormCohort: String?

    /// Provenance of a calibration.
    public init(ubmChecksum: String?, scoreNormalization: ScoreNormalizationMode, frontEnd: FrontEndOptions,
                targetTrials: Int, nonTargetTrials: Int, segmentSeconds: [Double], source: String,
                tnormCohort: String? = nil, znormCohort: String? = nil) {
        self.tnormCohort = tnormCohort
        self.znormCohort = znormCohort
        self.ubmChecksum = ubmChecksum
        self.scoreNormalization = scoreNormalization
        self.frontEnd = frontEnd
        self.targetTrials = targetTrials
        self.nonTargetTrials = nonTargetTrials
        self.segmentSeconds = segmentSeconds
        self.source = source
    }
}

/// Linear logistic-regression calibration of scores to natural-log likelihood ratios
/// (Brümmer & du Preez 2006; BOSARIS `train_llr_fusion`, FoCal): the weights minimise the
/// prior-weighted cross-entropy of the development trials, so LLRs can be decided with the
/// Bayes threshold of any prior and costs.
///
/// With the duration quality measure the LLR's slope in the score depends on the durations;
/// the fit keeps it positive over the test and enrolment durations of the development trials,
/// and `llr` clamps durations to that range, so the LLR rises with the score for every
/// duration a decision can meet.
public struct Calibration: Codable, Sendable, Equatable {
    /// 3 records the durations the development trials covered (`minTestSeconds` ...), which a
    /// duration calibration is clamped to; 2 records the score normalisation's cohorts
    /// (`CalibrationProvenance.tnormCohort`, `znormCohort`). Version-1 and -2 files still load
    /// without the quality measure (used on raw scores as before, refused with a normalisation
    /// in version 1, whose cohort it does not name); with it they are refused, since they do not
    /// say which durations their slopes hold for.
    public static let formatVersion = 3
    /// The format versions this SpeakerID reads.
    public static let supportedVersions = 1...formatVersion
    /// Fewer development target (or non-target) trials than this are refused.
    public static let minimumTrials = 10
    /// The priors a calibration is fitted for (the effective prior): further out, the weights
    /// of one class underflow the fit and the Bayes threshold leaves every trial on one side.
    public static let priorRange = 1e-6...(1 - 1e-6)
    /// The smallest slope of the LLR in the score at any duration of a duration calibration,
    /// as a fraction of the slope of the plain calibration (without the quality measure).
    public static let minimumSlopeFraction = 0.05
    /// The largest score magnitude a fit takes: scores are average log-likelihood ratios per
    /// frame, or normalised ones, tens at most; a score of 1e308 made the fit exhaust memory.
    public static let maximumScore = 10_000.0

    public var quality: CalibrationQuality
    /// The weights: [a, b] for `.none`; [a, a_t, a_e, b, b_t, b_e] for `.duration`.
    public var weights: [Double]
    /// The prior the fit weighted the trials by.
    public var trainingPrior: Double
    public var provenance: CalibrationProvenance
    public var toolVersion: String
    /// Seconds of test speech of the shortest and longest development trial (format version 3;
    /// nil when the trials did not say). A duration calibration clamps the test duration to them.
    public var minTestSeconds: Double?
    public var maxTestSeconds: Double?
    /// Seconds of enrolment of the development models (format version 3), likewise.
    public var minEnrolSeconds: Double?
    public var maxEnrolSeconds: Double?
    /// The format version of the file it was read from (`formatVersion` for a new one).
    public internal(set) var fileVersion = Calibration.formatVersion

    enum CodingKeys: String, CodingKey {
        case quality, weights, trainingPrior, provenance, toolVersion, minTestSeconds, maxTestSeconds, minEnrolSeconds, maxEnrolSeconds
    }

    /// A calibration with its weights; the duration ranges are those of its development trials.
    public init(quality: CalibrationQuality, weights: [Double], trainingPrior: Double, provenance: CalibrationProvenance,
                toolVersion: String, testSeconds: ClosedRange<Double>? = nil, enrolSeconds: ClosedRange<Double>? = nil) {
        self.quality = quality
        self.weights = weights
        self.trainingPrior = trainingPrior
        self.provenance = provenance
        self.toolVersion = toolVersion
        minTestSeconds = testSeconds?.lowerBound
        maxTestSeconds = testSeconds?.upperBound
        minEnrolSeconds = enrolSeconds?.lowerBound
        maxEnrolSeconds = enrolSeconds?.upperBound
    }

    /// The test durations (seconds of speech) of the development trials, when recorded.
    public var testSecondsRange: ClosedRange<Double>? {
        guard let lo = minTestSeconds, let hi = maxTestSeconds, lo <= hi else { return nil }
        return lo...hi
    }

    /// The enrolment durations of the development models, when recorded.
    public var enrolSecondsRange: ClosedRange<Double>? {
        guard let lo = minEnrolSeconds, let hi = maxEnrolSeconds, lo <= hi else { return nil }
        return lo...hi
    }

    /// The calibrated natural-log LLR of `score`. The durations are first clamped to those of
    /// the development trials (`testSecondsRange`, `enrolSecondsRange`), where the fit keeps the
    /// slope positive; a test shorter than the shortest development trial gets that trial
    /// duration's LLR scaled by the ratio of the durations (evidence in proportion to speech, and
    /// none without speech), since no development trial says how such a clip's scores behave.
    /// The LLR rises with the score at every duration.
    public func llr(score: Double, testSeconds: Double, enrolSeconds: Double) -> Double {
        let e = Self.clamp(enrolSeconds, enrolSecondsRange)
        if let r = testSecondsRange, testSeconds < r.lowerBound {
            let at = Self.dot(weights, Self.features(score: score, testSeconds: r.lowerBound, enrolSeconds: e, quality: quality))
            return at * max(testSeconds, 0) / r.lowerBound
        }
        return Self.dot(weights, Self.features(score: score, testSeconds: Self.clamp(testSeconds, testSecondsRange), enrolSeconds: e, quality: quality))
    }

    /// The slope of the LLR in the score at these durations (clamped as `llr` clamps them).
    public func slope(testSeconds: Double, enrolSeconds: Double) -> Double {
        llr(score: 1, testSeconds: testSeconds, enrolSeconds: enrolSeconds) - llr(score: 0, testSeconds: testSeconds, enrolSeconds: enrolSeconds)
    }

    static func clamp(_ x: Double, _ r: ClosedRange<Double>?) -> Double {
        guard let r, !x.isNaN else { return x }
        return min(max(x, r.lowerBound), r.upperBound)
    }

    /// The regression's inputs for one trial.
    static func features(score s: Double, testSeconds: Double, enrolSeconds: Double, quality: CalibrationQuality) -> [Double] {
        switch quality {
        case .none: return [s, 1]
        case .duration:
            let qt = log(max(testSeconds, 0.01)), qe = log(max(enrolSeconds, 0.01))
            return [s, s * qt, s * qe, 1, qt, qe]
        }
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// The slope's coefficients at a (test, enrolment) duration: slope = w . row.
    static func slopeRow(testSeconds: Double, enrolSeconds: Double) -> [Double] {
        [1, log(max(testSeconds, 0.01)), log(max(enrolSeconds, 0.01)), 0, 0, 0]
    }

    /// The corners of the duration rectangle: the slope is linear in the log durations, so it is
    /// positive over the rectangle when it is at its corners.
    static func corners(test: ClosedRange<Double>, enrol: ClosedRange<Double>) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        for t in Set([test.lowerBound, test.upperBound]).sorted() {
            for e in Set([enrol.lowerBound, enrol.upperBound]).sorted() { out.append((t, e)) }
        }
        return out
    }

    /// Fits a calibration to development trials by prior-weighted logistic regression
    /// (Newton's method with a line search; a tiny ridge keeps it defined when a quality
    /// measure does not vary). Refuses a prior outside `priorRange`, fewer than `minimumTrials`
    /// targets or non-targets, non-finite scores, durations that are not positive (with the
    /// duration measure), and development scores that do not rise with the target hypothesis.
    /// With the duration measure the slope is kept at least `minimumSlopeFraction` of the plain
    /// fit's over the durations of the trials (the convex problem solved exactly over the
    /// active sets of those constraints), and the durations are recorded for `llr` to clamp to.
    public static func fit(_ trials: [CalibrationTrial], prior: Double = 0.01, quality: CalibrationQuality = .none,
                           provenance: CalibrationProvenance) throws(CalibrationError) -> Calibration {
        guard prior > 0 && prior < 1 else { throw .invalid("the prior must be between 0 and 1 (exclusive); got \(prior)") }
        guard priorRange.contains(prior) else {
            throw .invalid("the prior the trials are weighted for is \(prior), outside \(priorRange.lowerBound) to 1 - \(priorRange.lowerBound): one class's trials would carry no weight and the Bayes threshold would leave every trial on one side (choose a prior and costs nearer to each other)")
        }
        let targets = trials.filter(\.isTarget).count, nonTargets = trials.count - targets
        if targets < minimumTrials || nonTargets < minimumTrials {
            throw .tooFewTrials(targets: targets, nonTargets: nonTargets, needed: minimumTrials)
        }
        if let bad = trials.first(where: { !$0.score.isFinite }) { throw .invalid("a development score is not a finite number (\(bad.score))") }
        if let bad = trials.first(where: { abs($0.score) > maximumScore }) {
            throw .invalid("a development score (\(String(format: "%.3g", bad.score))) is outside the ±\(Int(maximumScore)) a score can plausibly take")
        }
        let timed = trials.allSatisfy { $0.testSeconds > 0 && $0.testSeconds.isFinite && $0.enrolSeconds > 0 && $0.enrolSeconds.isFinite }
        if quality == .duration && !timed {
            let bad = trials.first { !($0.testSeconds > 0 && $0.testSeconds.isFinite) } .map { "test duration \($0.testSeconds)" }
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
            throw .invalid("the development scores do not rise with the target hypothesis (fitted slope \(plain.w[0])): target trials do not score above non-target ones, so no calibration can map them to LLRs that rise with the score")
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
            if feasible(free.w) { best = free } else {
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
                throw .invalid("the duration calibration cannot keep the LLR rising with the score over the development trials' durations (\(testRange.lowerBound)-\(testRange.upperBound) s of test speech); use --quality none")
            }
            w = best.w
        }
        guard w.allSatisfy(\.isFinite) else { throw .invalid("the fit did not converge (are targets and non-targets separable?)") }
        return Calibration(quality: quality, weights: w, trainingPrior: prior, provenance: provenance,
                           toolVersion: SpeakerIDVersion.current, testSeconds: testRange, enrolSeconds: enrolRange)
    }

    /// Newton's method with a line search for sum_i c_i softplus(-+(w.x_i + offset)) plus a
    /// tiny ridge, optionally subject to `equal` . w = `to` for each row (the step solves the
    /// KKT system from a start projected onto the constraints). Returns the weights and the
    /// objective.
    static func newton(x: [[Double]], y: [Bool], wt: Double, wn: Double, offset: Double, start: [Double],
                       equal: [[Double]] = [], to target: Double = 0) -> (w: [Double], f: Double) {
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

    /// Refuses scores this calibration was not trained for: another UBM, front end, score
    /// normalisation or normalisation cohort (`what` names the models or scores in the
    /// message). `tnormCohort` and `znormCohort` are the cohorts' `ScoreSystem` checksums,
    /// given when the normalisation uses them; with `checkingCohorts` false they are left for a
    /// later call, once the cohorts are known.
    public func check(ubmChecksum: String?, frontEnd: FrontEndOptions, scoreNormalization: ScoreNormalizationMode,
                      tnormCohort: String? = nil, znormCohort: String? = nil, checkingCohorts: Bool = true,
                      what: String) throws(CalibrationError) {
        let p = provenance
        if p.ubmChecksum != ubmChecksum {
            throw .mismatch("was trained on scores against \(p.ubmChecksum.map { "the UBM with checksum \($0)" } ?? "no UBM (models trained by EM)"), but \(what) \(ubmChecksum.map { "are scored against the UBM with checksum \($0)" } ?? "have no UBM")")
        }
        if p.frontEnd != frontEnd {
            throw .mismatch("was trained with another front end than \(what) (\(FrontEndOptions.differences(p.frontEnd, frontEnd)))")
        }
        if p.scoreNormalization != scoreNormalization {
            throw .mismatch("was trained on \(p.scoreNormalization == .none ? "raw" : p.scoreNormalization.rawValue + "-normalised") scores, but \(what) are scored with \(scoreNormalization == .none ? "no normalisation" : scoreNormalization.rawValue)")
        }
        for (kind, uses, trained, given) in [("T-norm", scoreNormalization.usesTNorm, p.tnormCohort, tnormCohort),
                                             ("Z-norm", scoreNormalization.usesZNorm, p.znormCohort, znormCohort)] where uses && checkingCohorts {
            guard let trained else {
                throw .mismatch("does not record which \(kind) cohort its scores were normalised with (\(fileVersion < 2 ? "a format-\(fileVersion) file, made before cohorts were recorded" : "none was recorded")), so it cannot be used with \(kind); fit it again")
            }
            if trained != given {
                throw .mismatch("was trained on scores normalised (\(kind)) against another cohort (checksum \(trained)) than \(what) are normalised against (\(given.map { "cohort checksum \($0)" } ?? "no cohort"))")
            }
        }
    }
}

/// Why a calibration cannot be fitted, read or used.
public enum CalibrationError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooFewTrials(targets: Int, nonTargets: Int, needed: Int)
    case invalid(String)
    case mismatch(String)
    case unreadable(String, reason: String)

    public var description: String {
        switch self {
        case .tooFewTrials(let t, let n, let k):
            return "the development trials hold \(t) target and \(n) non-target trials; calibration needs at least \(k) of each (add speakers or files, or score shorter segments)"
        case .invalid(let s): return s
        case .mismatch(let s): return "the calibration \(s)"
        case .unreadable(let p, let r): return "\(p): not a usable calibration file (\(r))"
        }
    }
}

extension Calibration {
    static let magic = "speakerid-calibration"

    /// The file: a first line naming the format and version, the calibration as JSON, and a
    /// last line with the CRC-64 of everything before it.
    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        e.keyEncodingStrategy = .convertToSnakeCase
        let body = Array("\(Self.magic) \(Self.formatVersion)\n".utf8) + Array(try e.encode(self)) + Array("\n".utf8)
        return body + Array(String(format: "crc64 %016llx\n", CRC64.checksum(body)).utf8)
    }

    /// Reads a calibration file, refusing another format, a future version, a damaged file.
    public static func decode(_ bytes: [UInt8], name: String) throws(CalibrationError) -> Calibration {
        func bad(_ r: String) -> CalibrationError { .unreadable(name, reason: r) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw bad("not text") }
        guard text.hasPrefix(magic + " ") else { throw bad("it does not start with \"\(magic)\"; make one with speakerid calibrate") }
        guard let newline = text.firstIndex(of: "\n"), let version = Int(text[text.index(text.startIndex, offsetBy: magic.count + 1)..<newline]) else {
            throw bad("no format version on the first line")
        }
        guard version <= formatVersion else { throw bad("format version \(version) is newer than this SpeakerID reads (\(formatVersion)); update SpeakerID") }
        guard supportedVersions.contains(version) else {
            throw bad("format version \(version) was never written by SpeakerID (it reads versions \(supportedVersions.lowerBound) to \(supportedVersions.upperBound))")
        }
        let trimmed = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard let last = trimmed.lastIndex(of: "\n") else { throw bad("no checksum line") }
        let checkLine = trimmed[trimmed.index(after: last)...]
        let body = Array(trimmed[...last].utf8)
        guard checkLine.hasPrefix("crc64 ") else { throw bad("no checksum line") }
        // Compared as written (lower-case hex), so no byte of the line can change unnoticed.
        guard checkLine == String(format: "crc64 %016llx", CRC64.checksum(body)) else {
            throw bad("checksum mismatch: the file is damaged or was edited")
        }
        let json = body[(text.utf8.distance(from: text.startIndex, to: newline) + 1)...]
        let d = JSONDecoder()
        d.keyDecodingStrategy = .custom { path in SnakeCaseKey(camelCaseOf: path[path.count - 1].stringValue) }
        let decoded: Calibration
        do { decoded = try d.decode(Calibration.self, from: Data(json)) } catch {
            var what = ""
            if case .keyNotFound(let k, _) = error as? DecodingError { what = ": \(k.stringValue) is missing" }
            if case .typeMismatch(_, let ctx) = error as? DecodingError { what = ": \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type" }
            if case .dataCorrupted(let ctx) = error as? DecodingError { what = ": \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) \(ctx.debugDescription)" }
            throw bad("its contents do not describe a calibration\(what)")
        }
        var c = decoded
        c.fileVersion = version
        let expected = c.quality == .none ? 2 : 6
        guard c.weights.count == expected else {
            throw bad("\(c.weights.count) weights, but quality \(c.quality.rawValue) takes \(expected)")
        }
        guard c.weights.allSatisfy(\.isFinite) else { throw bad("a weight is not a finite number") }
        guard c.trainingPrior > 0 && c.trainingPrior < 1 else {
            throw bad("training_prior \(c.trainingPrior) is not a probability strictly between 0 and 1")
        }
        for (what, lo, hi) in [("test", c.minTestSeconds, c.maxTestSeconds), ("enrol", c.minEnrolSeconds, c.maxEnrolSeconds)] {
            guard (lo == nil) == (hi == nil) else { throw bad("min_\(what)_seconds and max_\(what)_seconds come together") }
            if let lo, let hi, !(lo > 0 && lo <= hi && hi.isFinite) {
                throw bad("min_\(what)_seconds \(lo) and max_\(what)_seconds \(hi) are not a range of positive durations")
            }
        }
        switch c.quality {
        case .none:
            guard c.weights[0] > 0 else { throw bad("its LLRs fall as scores rise (slope \(c.weights[0]))") }
        case .duration:
            guard let test = c.testSecondsRange, let enrol = c.enrolSecondsRange else {
                throw bad(version < 3 ? "a format-\(version) duration calibration does not record the durations it was trained on, outside which its LLRs can fall as scores rise; fit it again with speakerid calibrate"
                          : "a duration calibration needs min_test_seconds, max_test_seconds, min_enrol_seconds and max_enrol_seconds")
            }
            for (t, e) in corners(test: test, enrol: enrol) where !(dot(c.weights, slopeRow(testSeconds: t, enrolSeconds: e)) > 0) {
                throw bad("its LLRs fall as scores rise at \(t) s of test speech and \(e) s of enrolment")
            }
        }
        return c
    }

    /// Writes the calibration file atomically, as models are written.
    public func save(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }

    /// Reads a calibration file from disk.
    public static func load(path: String) throws(CalibrationError) -> Calibration {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw .unreadable(path, reason: "no such file") }
        guard !isDir.boolValue else { throw .unreadable(path, reason: "is a folder") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path, reason: "cannot be read") }
        return try decode(Array(data), name: path)
    }
}

/// A snake_case key read back as the property it was written from: "threshold_db" is
/// `thresholdDB`, as JSONEncoder's snake_case conversion writes the acronym.
struct SnakeCaseKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(camelCaseOf snake: String) {
        let parts = snake.split(separator: "_")
        var out = parts.first.map(String.init) ?? snake
        for p in parts.dropFirst() {
            out += Self.acronyms.contains(String(p)) ? p.uppercased() : p.prefix(1).uppercased() + p.dropFirst()
        }
        stringValue = out
    }

    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Parts written in capitals in the property names (`thresholdDB`, `floorDB`, `removeDCOffset`).
    static let acronyms: Set<String> = ["db", "dc"]
}
