import ArgumentParser
import Foundation
import SpeakerID

/// A calibration to turn scores into log-likelihood ratios, and the prior and costs to decide
/// them with (identify, verify, evaluate).
struct CalibrationArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Calibration file (speakerid calibrate): scores become calibrated natural-log LLRs, decided at the Bayes threshold of --prior and the costs unless --threshold is given.",
            valueName: "file"))
    var calibration: String?
    @Option(
        name: .customLong("prior"), parsing: .unconditional,
        help: ArgumentHelp(
            "Prior probability of the target speaker, for the Bayes threshold, posteriors and the detection cost (default: 0.01).", valueName: "P"))
    var priorGiven: Double?
    @Option(
        name: .customLong("cost-miss"), parsing: .unconditional,
        help: ArgumentHelp("Cost of a miss, for the Bayes threshold and the detection cost (default: 10, NIST SRE 2008's).", valueName: "C"))
    var costMissGiven: Double?
    @Option(
        name: .customLong("cost-fa"), parsing: .unconditional,
        help: ArgumentHelp("Cost of a false alarm, for the Bayes threshold and the detection cost (default: 1).", valueName: "C"))
    var costFaGiven: Double?

    var prior: Double { priorGiven ?? 0.01 }
    var costMiss: Double { costMissGiven ?? 10 }
    var costFa: Double { costFaGiven ?? 1 }

    /// The decision options given on the command line.
    var givenDecisionOptions: [String] {
        [("--prior", priorGiven), ("--cost-miss", costMissGiven), ("--cost-fa", costFaGiven)].compactMap { $0.1 == nil ? nil : $0.0 }
    }

    /// The prior and costs only set the Bayes threshold (and posteriors) of a calibration in
    /// identify, verify and track: without --calibration they would do nothing, so they are refused.
    func refuseDecisionOptionsWithoutCalibration() throws {
        let given = givenDecisionOptions
        if calibration == nil && !given.isEmpty {
            throw ValidationError(
                "\(given.count == 1 ? given[0] : given.dropLast().joined(separator: ", ") + " and " + given[given.count - 1]) set\(given.count == 1 ? "s" : "") the Bayes threshold of a calibration: give --calibration FILE, or leave \(given.count == 1 ? "it" : "them") out (without a calibration \(given.count == 1 ? "it does" : "they do") nothing)"
            )
        }
    }

    func validate() throws {
        try costs.validateAsOptions()
    }

    /// The prior and costs of the decisions.
    var costs: DecisionCosts { DecisionCosts(prior: prior, costMiss: costMiss, costFalseAlarm: costFa) }

    /// The same, as the detection cost of evaluate's figures.
    var cost: DetectionMetrics.CostModel {
        var c = DetectionMetrics.CostModel()
        c.pTarget = prior
        c.cMiss = costMiss
        c.cFalseAlarm = costFa
        return c
    }

    /// The calibration, checked against the scores it will map: the UBM (nil for EM models),
    /// the models' front end, the score normalisation and its cohorts (`ScoreSystem` checksums).
    func load(
        ubm: SpeakerModel?, frontEnd: FrontEndOptions, normalization: ScoreNormalizationMode, models: String,
        tnormCohort: String? = nil, znormCohort: String? = nil, checkingCohorts: Bool = true
    ) throws -> Calibration? {
        guard let calibration else { return nil }
        let c = try Calibration.load(path: calibration)
        try check(
            c, ubm: ubm, frontEnd: frontEnd, normalization: normalization, models: models,
            tnormCohort: tnormCohort, znormCohort: znormCohort, checkingCohorts: checkingCohorts)
        return c
    }

    /// A calibration of the d-vector system's cosines, checked against the encoder.
    func loadForDVectors(encoder: SpeakerEncoder, frontEnd: FrontEndOptions, models: String) throws -> Calibration? {
        guard let calibration else { return nil }
        let c = try Calibration.load(path: calibration)
        do {
            try c.check(
                ubmChecksum: nil, frontEnd: frontEnd, scoreNormalization: .none, system: .dvector,
                encoder: encoder.identity.checksum, what: "the models in \(models)")
        } catch { throw CLIError("\(calibration): \(error)") }
        return c
    }

    /// A fusion calibration (calibrate --system fusion), checked against the UBM, the models'
    /// front end and the encoder; nil without --calibration.
    func loadForFusion(encoder: SpeakerEncoder, ubm: SpeakerModel?, frontEnd: FrontEndOptions, models: String) throws -> Calibration? {
        guard let calibration else { return nil }
        let c = try Calibration.load(path: calibration)
        do {
            try c.check(
                ubmChecksum: ubm?.checksumHex, frontEnd: frontEnd, scoreNormalization: .none, system: .fusion,
                encoder: encoder.identity.checksum, what: "the models in \(models)")
        } catch { throw CLIError("\(calibration): \(error)") }
        return c
    }

    /// Refuses a loaded calibration made for other scores, in one line naming its file.
    func check(
        _ c: Calibration, ubm: SpeakerModel?, frontEnd: FrontEndOptions, normalization: ScoreNormalizationMode, models: String,
        tnormCohort: String? = nil, znormCohort: String? = nil, checkingCohorts: Bool = true
    ) throws {
        do {
            try c.check(
                ubmChecksum: ubm?.checksumHex, frontEnd: frontEnd, scoreNormalization: normalization,
                tnormCohort: tnormCohort, znormCohort: znormCohort, checkingCohorts: checkingCohorts,
                what: "the models in \(models)")
        } catch { throw CLIError("\(calibration ?? "calibration"): \(error)") }
    }
}

extension DecisionCosts {
    /// Refuses, as a usage error naming --prior, --cost-miss and --cost-fa, a prior outside
    /// `Calibration.priorRange`, costs outside `costRange`, and a prior and costs whose effective
    /// prior leaves that range: there one class of trials carries no weight, thresholds and
    /// posteriors saturate.
    func validateAsOptions() throws {
        let p = Calibration.priorRange
        if !p.contains(prior) { throw ValidationError("--prior must be between \(p.lowerBound) and 1 - \(p.lowerBound) (got \(prior))") }
        for (name, c) in [("--cost-miss", costMiss), ("--cost-fa", costFalseAlarm)] where !Self.costRange.contains(c) {
            throw ValidationError("\(name) must be a number from \(Self.costRange.lowerBound) to \(Int(Self.costRange.upperBound)) (got \(c))")
        }
        let effective = effectivePrior
        if !p.contains(effective) {
            throw ValidationError(
                "--prior \(prior) with --cost-miss \(costMiss) and --cost-fa \(costFalseAlarm) gives the effective prior \(effective), outside \(p.lowerBound) to 1 - \(p.lowerBound): decisions would ignore one kind of error; choose a prior and costs nearer to each other"
            )
        }
    }
}
