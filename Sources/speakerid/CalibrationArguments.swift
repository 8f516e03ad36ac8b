import ArgumentParser
import Foundation
import SpeakerID

/// A calibration to turn scores into log-likelihood ratios, and the prior and costs to decide
/// them with (identify, verify, evaluate).
struct CalibrationArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Calibration file (speakerid calibrate): scores become calibrated natural-log LLRs, decided at the Bayes threshold of --prior and the costs unless --threshold is given.", valueName: "file"))
    var calibration: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Prior probability of the target speaker, for the Bayes threshold, posteriors and the detection cost.", valueName: "P"))
    var prior = 0.01
    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a miss, for the Bayes threshold and the detection cost; the default is NIST SRE 2008's.", valueName: "C"))
    var costMiss = 10.0
    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a false alarm, for the Bayes threshold and the detection cost.", valueName: "C"))
    var costFa = 1.0

    func validate() throws {
        if !(prior > 0 && prior < 1) { throw ValidationError("--prior must be between 0 and 1 (exclusive)") }
        if !(costMiss > 0 && costMiss.isFinite) || !(costFa > 0 && costFa.isFinite) { throw ValidationError("--cost-miss and --cost-fa must be positive numbers") }
    }

    var cost: DetectionMetrics.CostModel {
        var c = DetectionMetrics.CostModel()
        c.pTarget = prior
        c.cMiss = costMiss
        c.cFalseAlarm = costFa
        return c
    }

    /// The Bayes threshold on LLRs for the prior and costs.
    var bayesThreshold: Double { CalibrationMetrics.bayesThreshold(cost) }

    /// The calibration, checked against the scores it will map: the UBM (nil for EM models),
    /// the models' front end and the score normalisation.
    func load(ubm: SpeakerModel?, frontEnd: FrontEndOptions, normalization: ScoreNormalizationMode, models: String) throws -> Calibration? {
        guard let calibration else { return nil }
        let c = try Calibration.load(path: calibration)
        do {
            try c.check(ubmChecksum: ubm?.checksumHex, frontEnd: frontEnd, scoreNormalization: normalization, what: "the models in \(models)")
        } catch { throw CLIError("\(calibration): \(error)") }
        return c
    }
}
