import Foundation

/// The prior of the target speaker and the costs of the two errors in an application: they set
/// the Bayes threshold calibrated LLRs are decided at, the posteriors reported with them, and
/// the effective prior a calibration is fitted for.
public struct DecisionCosts: Sendable, Equatable {
    /// Prior probability of the target speaker.
    public var prior: Double
    /// Cost of a miss: the target speaker rejected.
    public var costMiss: Double
    /// Cost of a false alarm: someone else accepted.
    public var costFalseAlarm: Double

    /// The costs a decision may weigh: from 1e-6 to 1e6 (their ratio sets the threshold).
    public static let costRange = 1e-6...1e6

    /// NIST SRE 2008's by default: P = 0.01, C_miss = 10, C_fa = 1.
    public init(prior: Double = 0.01, costMiss: Double = 10, costFalseAlarm: Double = 1) {
        self.prior = prior
        self.costMiss = costMiss
        self.costFalseAlarm = costFalseAlarm
    }

    /// The prior with unit costs that decides as these do: C_miss P / (C_miss P + C_fa (1 - P)).
    /// Outside `Calibration.priorRange` one kind of error carries no weight.
    public var effectivePrior: Double {
        costMiss * prior / (costMiss * prior + costFalseAlarm * (1 - prior))
    }

    /// The Bayes decision threshold on natural-log LLRs: accept when
    /// LLR >= log(C_fa (1 - P) / (C_miss P)).
    public var bayesThreshold: Double {
        log(costFalseAlarm * (1 - prior) / (costMiss * prior))
    }

    /// The posterior probability of the target speaker given a natural-log LLR.
    public func posterior(llr: Double) -> Double {
        1 / (1 + exp(-(llr + log(prior / (1 - prior)))))
    }
}
