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
public struct Calibration: Codable, Sendable, Equatable {
    /// 2 records the score normalisation's cohorts (`CalibrationProvenance.tnormCohort`,
    /// `znormCohort`). Version-1 files still load: used on raw scores as before, refused with a
    /// normalisation, whose cohort they do not name.
    public static let formatVersion = 2
    /// Fewer development target (or non-target) trials than this are refused.
    public static let minimumTrials = 10

    public var quality: CalibrationQuality
    /// The weights: [a, b] for `.none`; [a, a_t, a_e, b, b_t, b_e] for `.duration`.
    public var weights: [Double]
    /// The prior the fit weighted the trials by.
    public var trainingPrior: Double
    public var provenance: CalibrationProvenance
    public var toolVersion: String
    /// The format version of the file it was read from (`formatVersion` for a new one).
    public internal(set) var fileVersion = Calibration.formatVersion

    enum CodingKeys: String, CodingKey { case quality, weights, trainingPrior, provenance, toolVersion }

    /// The calibrated natural-log LLR of `score`.
    public func llr(score: Double, testSeconds: Double, enrolSeconds: Double) -> Double {
        Self.dot(weights, Self.features(score: score, testSeconds: testSeconds, enrolSeconds: enrolSeconds, quality: quality))
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

    /// Fits a calibration to development trials by prior-weighted logistic regression
    /// (Newton's method with a line search; a tiny ridge keeps it defined when a quality
    /// measure does not vary). Refuses fewer than `minimumTrials` targets or non-targets, and
    /// non-finite scores.
    public static func fit(_ trials: [CalibrationTrial], prior: Double = 0.01, quality: CalibrationQuality = .none,
                           provenance: CalibrationProvenance) throws(CalibrationError) -> Calibration {
        guard prior > 0 && prior < 1 else { throw .invalid("the prior must be between 0 and 1 (exclusive); got \(prior)") }
        let targets = trials.filter(\.isTarget).count, nonTargets = trials.count - targets
        if targets < minimumTrials || nonTargets < minimumTrials {
            throw .tooFewTrials(targets: targets, nonTargets: nonTargets, needed: minimumTrials)
        }
        if let bad = trials.first(where: { !$0.score.isFinite }) { throw .invalid("a development score is not a finite number (\(bad.score))") }
        let x = trials.map { features(score: $0.score, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, quality: quality) }
        let y = trials.map(\.isTarget)
        let offset = log(prior / (1 - prior))
        let wt = prior / Double(targets), wn = (1 - prior) / Double(nonTargets)
        let d = x[0].count
        let ridge = 1e-8

        // Objective, gradient and Hessian of sum_i c_i softplus(-+(w.x_i + offset)).
        func objective(_ w: [Double]) -> Double {
            var f = 0.0
            for (xi, yi) in zip(x, y) {
                let z = dot(w, xi) + offset
                f += yi ? wt * CalibrationMetrics.softplus(-z) : wn * CalibrationMetrics.softplus(z)
            }
            return f + ridge * w.reduce(0) { $0 + $1 * $1 }
        }
        var w = [Double](repeating: 0, count: d)
        w[0] = 1
        var f = objective(w)
        for _ in 0..<100 {
            var g = w.map { 2 * ridge * $0 }
            var h = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
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
            guard let step = solve(h, g) else { break }
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
        guard w.allSatisfy(\.isFinite) else { throw .invalid("the fit did not converge (are targets and non-targets separable?)") }
        return Calibration(quality: quality, weights: w, trainingPrior: prior, provenance: provenance,
                           toolVersion: SpeakerIDVersion.current)
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
        guard c.weights.count == expected, c.weights.allSatisfy(\.isFinite), c.trainingPrior > 0, c.trainingPrior < 1 else {
            throw bad("its weights do not fit its quality measure")
        }
        return c
    }

    /// Writes the calibration file atomically, as models are written.
    public func save(to path: String) throws {
        try ModelStore.writeAtomically(try encoded(), to: path)
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
