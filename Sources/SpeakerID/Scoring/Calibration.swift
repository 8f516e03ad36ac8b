import Foundation

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
    /// The scoring system whose scores were calibrated; nil in files made before the d-vector
    /// system (then gmm).
    public var system: ScoringSystem?
    /// With the d-vector system: the checksum of the encoder that made the embeddings.
    public var encoder: String?

    /// Provenance of a calibration.
    public init(
        ubmChecksum: String?, scoreNormalization: ScoreNormalizationMode, frontEnd: FrontEndOptions,
        targetTrials: Int, nonTargetTrials: Int, segmentSeconds: [Double], source: String,
        tnormCohort: String? = nil, znormCohort: String? = nil, system: ScoringSystem? = nil, encoder: String? = nil
    ) {
        self.system = system
        self.encoder = encoder
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
    ///
    /// 4: a calibration of another system than the GMMs (`CalibrationProvenance.system`
    /// dvector or fusion; a fusion's two parts); gmm calibrations are still written as 3.
    public static let formatVersion = 4
    /// The version gmm calibrations are written as (readable by SpeakerID before version 4).
    public static let gmmFormatVersion = 3
    /// The format versions this SpeakerID reads.
    public static let supportedVersions = 1...formatVersion
    /// The priors a calibration is fitted for (the effective prior): further out, the weights
    /// of one class underflow the fit and the Bayes threshold leaves every trial on one side.
    public static let priorRange = 1e-6...(1 - 1e-6)

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
    /// For the fusion system: the two systems' own calibrations, gmm then dvector; `weights`
    /// ([w_gmm, w_dvector, b], quality none) combine their LLRs. nil otherwise.
    public var parts: [Calibration]?
    /// The format version of the file it was read from (`formatVersion` for a new one).
    public internal(set) var fileVersion = Calibration.gmmFormatVersion

    enum CodingKeys: String, CodingKey {
        case quality, weights, trainingPrior, provenance, toolVersion, minTestSeconds, maxTestSeconds, minEnrolSeconds, maxEnrolSeconds
        case parts
    }

    /// The system whose scores this calibration maps (gmm for files that do not say).
    public var system: ScoringSystem { provenance.system ?? .gmm }

    /// The fused LLR of a trial's two scores: each system's own calibrated LLR at these
    /// durations, combined with non-negative weights, so it rises with either score. Only for
    /// a fusion calibration (`parts` set); others give `llr(score:...)` of the GMM score.
    public func llr(gmmScore: Double, dvectorScore: Double, testSeconds: Double, enrolSeconds: Double) -> Double {
        guard let parts, parts.count == 2, weights.count == 3 else {
            return llr(score: gmmScore, testSeconds: testSeconds, enrolSeconds: enrolSeconds)
        }
        return weights[0] * parts[0].llr(score: gmmScore, testSeconds: testSeconds, enrolSeconds: enrolSeconds)
            + weights[1] * parts[1].llr(score: dvectorScore, testSeconds: testSeconds, enrolSeconds: enrolSeconds) + weights[2]
    }

    /// Every speaker's calibrated LLR of one test, in model order, from the scores its system
    /// gives: the GMMs' average scores, the d-vector cosines, or both (a fusion's, fused). Both
    /// nil gives none.
    public func llrs(gmmScores: [Double]?, cosines: [Double]?, testSeconds: Double, enrolSeconds: [Double]) -> [Double] {
        enrolSeconds.indices.map { k in
            switch (gmmScores, cosines) {
            case (let s?, let c?): llr(gmmScore: s[k], dvectorScore: c[k], testSeconds: testSeconds, enrolSeconds: enrolSeconds[k])
            case (let s?, nil): llr(score: s[k], testSeconds: testSeconds, enrolSeconds: enrolSeconds[k])
            case (nil, let c?): llr(score: c[k], testSeconds: testSeconds, enrolSeconds: enrolSeconds[k])
            case (nil, nil): -.infinity
            }
        }
    }

    /// A calibration with its weights; the duration ranges are those of its development trials.
    public init(
        quality: CalibrationQuality, weights: [Double], trainingPrior: Double, provenance: CalibrationProvenance,
        toolVersion: String, testSeconds: ClosedRange<Double>? = nil, enrolSeconds: ClosedRange<Double>? = nil
    ) {
        self.quality = quality
        self.weights = weights
        self.trainingPrior = trainingPrior
        self.provenance = provenance
        self.toolVersion = toolVersion
        minTestSeconds = testSeconds?.lowerBound
        maxTestSeconds = testSeconds?.upperBound
        minEnrolSeconds = enrolSeconds?.lowerBound
        maxEnrolSeconds = enrolSeconds?.upperBound
        fileVersion = (provenance.system ?? .gmm) == .gmm ? Self.gmmFormatVersion : Self.formatVersion
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
        return Self.dot(
            weights, Self.features(score: score, testSeconds: Self.clamp(testSeconds, testSecondsRange), enrolSeconds: e, quality: quality))
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

    /// Refuses scores this calibration was not trained for: another UBM, front end, score
    /// normalisation or normalisation cohort (`what` names the models or scores in the
    /// message). `tnormCohort` and `znormCohort` are the cohorts' `ScoreSystem` checksums,
    /// given when the normalisation uses them; with `checkingCohorts` false they are left for a
    /// later call, once the cohorts are known.
    public func check(
        ubmChecksum: String?, frontEnd: FrontEndOptions, scoreNormalization: ScoreNormalizationMode,
        tnormCohort: String? = nil, znormCohort: String? = nil, checkingCohorts: Bool = true,
        system: ScoringSystem = .gmm, encoder: String? = nil,
        what: String
    ) throws(CalibrationError) {
        let p = provenance
        let trained = p.system ?? .gmm
        if trained != system {
            throw .mismatch("was trained on the \(trained.rawValue) system's scores, but \(what) are scored with --system \(system.rawValue)")
        }
        if system != .gmm {
            if p.encoder != encoder {
                throw .mismatch(
                    "was trained on cosines of the speaker encoder \(p.encoder ?? "(not recorded)"), but \(what) are scored with the encoder \(encoder ?? "(none)")"
                )
            }
            // Cosines depend on the encoder alone (not on a UBM or the MFCC front end).
            if system == .dvector { return }
        }
        if p.ubmChecksum != ubmChecksum {
            throw .mismatch(
                "was trained on scores against \(p.ubmChecksum.map { "the UBM with checksum \($0)" } ?? "no UBM (models trained by EM)"), but \(what) \(ubmChecksum.map { "are scored against the UBM with checksum \($0)" } ?? "have no UBM")"
            )
        }
        if p.frontEnd != frontEnd {
            throw .mismatch("was trained with another front end than \(what) (\(FrontEndOptions.differences(p.frontEnd, frontEnd)))")
        }
        if p.scoreNormalization != scoreNormalization {
            throw .mismatch(
                "was trained on \(p.scoreNormalization == .none ? "raw" : p.scoreNormalization.rawValue + "-normalised") scores, but \(what) are scored with \(scoreNormalization == .none ? "no normalisation" : scoreNormalization.rawValue)"
            )
        }
        for (kind, uses, trained, given) in [
            ("T-norm", scoreNormalization.usesTNorm, p.tnormCohort, tnormCohort),
            ("Z-norm", scoreNormalization.usesZNorm, p.znormCohort, znormCohort),
        ] where uses && checkingCohorts {
            guard let trained else {
                throw .mismatch(
                    "does not record which \(kind) cohort its scores were normalised with (\(fileVersion < 2 ? "a format-\(fileVersion) file, made before cohorts were recorded" : "none was recorded")), so it cannot be used with \(kind); fit it again"
                )
            }
            if trained != given {
                throw .mismatch(
                    "was trained on scores normalised (\(kind)) against another cohort (checksum \(trained)) than \(what) are normalised against (\(given.map { "cohort checksum \($0)" } ?? "no cohort"))"
                )
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
            return
                "the development trials hold \(t) target and \(n) non-target trials; calibration needs at least \(k) of each (add speakers or files, or score shorter segments)"
        case .invalid(let s): return s
        case .mismatch(let s): return "the calibration \(s)"
        case .unreadable(let p, let r): return "\(p): not a usable calibration file (\(r))"
        }
    }
}
