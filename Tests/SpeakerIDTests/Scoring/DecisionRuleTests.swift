import Foundation
import Testing
@testable import SpeakerID

/// The one open-set decision identify, verify and track make (`DecisionRule`): it never
/// contradicts the figures it reports, and too little speech gets no decision.
struct DecisionRuleTests {
    /// A plain and a duration calibration whose LLRs rise with the score.
    static let calibrations: [Calibration] = [
        Calibration(quality: .none, weights: [2.5, -1.2], trainingPrior: 0.05, provenance: CalibrationTests.provenance(10, 10), toolVersion: "x"),
        Calibration(
            quality: .duration, weights: [1.5, 0.4, 0.1, -2, 0.3, 0.05], trainingPrior: 0.05,
            provenance: CalibrationTests.provenance(10, 10), toolVersion: "x", testSeconds: 0.5...8, enrolSeconds: 3...60),
    ]

    /// Random costs, scores and durations: a calibrated decision accepts exactly when its LLR
    /// reaches the Bayes threshold of the prior and costs, and reports that LLR; a score
    /// threshold accepts exactly when the score reaches it; a closed set always names.
    @Test func aDecisionNeverContradictsItsScores() {
        var rng = SeededRandom(seed: 24)
        for _ in 0..<2000 {
            let costs = DecisionCosts(
                prior: exp(-8 * rng.nextUnit()) * 0.99, costMiss: exp(6 * rng.nextUnit() - 3),
                costFalseAlarm: exp(6 * rng.nextUnit() - 3))
            let score = 4 * rng.nextGaussian(), speech = 0.2 + 30 * rng.nextUnit(), enrol = 1 + 100 * rng.nextUnit()
            let minimum = 0.2
            for c in Self.calibrations {
                let rule = DecisionRule(calibration: c, threshold: nil, costs: costs, minimumSpeechSeconds: minimum)
                let d = rule.decide(score: score, speechSeconds: speech, enrolSeconds: enrol)
                let llr = c.llr(score: score, testSeconds: speech, enrolSeconds: enrol)
                #expect(d.llr == llr && d.score == score && d.speechSeconds == speech)
                #expect(rule.threshold == costs.bayesThreshold)
                #expect(
                    (d.outcome == .accepted) == (llr >= costs.bayesThreshold) && d.outcome != .identified && d.outcome != .tooShort,
                    "LLR \(llr) against \(costs.bayesThreshold): \(d.outcome)")
                #expect(d.outcome.namesSpeaker == (d.outcome == .accepted))
                // A threshold given wins over the Bayes threshold, still on the LLR.
                let t = 3 * rng.nextGaussian()
                let given = DecisionRule(calibration: c, threshold: t, costs: costs).decide(score: score, speechSeconds: speech, enrolSeconds: enrol)
                #expect((given.outcome == .accepted) == (llr >= t))
            }
            let t = 2 * rng.nextGaussian()
            let byScore = DecisionRule(calibration: nil, threshold: t, costs: costs).decide(score: score, speechSeconds: speech, enrolSeconds: enrol)
            #expect(byScore.llr == nil && (byScore.outcome == .accepted) == (score >= t))
            let closed = DecisionRule(calibration: nil, threshold: nil, costs: costs).decide(score: score, speechSeconds: speech, enrolSeconds: enrol)
            #expect(closed.outcome == .identified && closed.outcome.namesSpeaker && closed.llr == nil)
        }
    }

    /// Less speech than the rule's minimum gives no decision, whatever the score; at the minimum
    /// the decision is made.
    @Test func tooLittleSpeechGivesNoDecision() {
        let rules =
            [
                DecisionRule(calibration: nil, threshold: nil, minimumSpeechSeconds: 0.2),
                DecisionRule(calibration: nil, threshold: -5, minimumSpeechSeconds: 0.2),
                DecisionRule.verification(calibration: nil, threshold: nil, minimumSpeechSeconds: 0.2),
            ]
            + Self.calibrations.map { DecisionRule(calibration: $0, threshold: nil, minimumSpeechSeconds: 0.2) }
        for rule in rules {
            for score in [-50.0, 0, 50] {
                for speech in [0, 0.01, 0.19, 0.199999] {
                    let d = rule.decide(score: score, speechSeconds: speech, enrolSeconds: 30)
                    #expect(d.outcome == .tooShort && !d.outcome.namesSpeaker, "\(speech) s: \(d.outcome)")
                }
                #expect(rule.decide(score: score, speechSeconds: 0.2, enrolSeconds: 30).outcome != .tooShort)
            }
        }
        #expect(DecisionRule.defaultMinimumSpeechSeconds == 0.2)
        // By default (the tracker's rules) any speech is decided.
        #expect(DecisionRule.scoreThreshold(0).decide(score: 1, speechSeconds: 0.01, enrolSeconds: 30).outcome == .accepted)
    }

    /// Verification decides raw log-likelihood ratios at 0 without a calibration or threshold;
    /// with a calibration, at the Bayes threshold.
    @Test func verificationAlwaysDecides() {
        let raw = DecisionRule.verification(calibration: nil, threshold: nil)
        #expect(raw.threshold == 0 && raw.isOpenSet)
        #expect(raw.decide(score: 0, speechSeconds: 1, enrolSeconds: 30).outcome == .accepted)
        #expect(raw.decide(score: -1e-9, speechSeconds: 1, enrolSeconds: 30).outcome == .rejected)
        let costs = DecisionCosts(prior: 0.3)
        let calibrated = DecisionRule.verification(calibration: Self.calibrations[0], threshold: nil, costs: costs)
        #expect(calibrated.threshold == costs.bayesThreshold && calibrated.calibration == Self.calibrations[0])
        #expect(DecisionRule.verification(calibration: nil, threshold: 1.5).threshold == 1.5)
        #expect(!DecisionRule(calibration: nil, threshold: nil).isOpenSet && DecisionRule.closedSet.threshold == nil)
    }

    /// The tracker's per-frame thresholds are where the decision turns: the LLR of that average
    /// score is the LLR threshold.
    @Test func scoreThresholdsAreWhereTheDecisionTurns() {
        for c in Self.calibrations {
            let rule = DecisionRule.calibrated(c, llrThreshold: 1.7)
            for seconds in [0.3, 2, 10] {
                let enrol = [5.0, 30, 90]
                for (e, s) in zip(enrol, rule.scoreThresholds(enrolSeconds: enrol, seconds: seconds)) {
                    #expect(abs(c.llr(score: s, testSeconds: seconds, enrolSeconds: e) - 1.7) < 1e-9)
                    #expect(rule.decide(score: s + 1e-6, speechSeconds: seconds, enrolSeconds: e).outcome == .accepted)
                    #expect(rule.decide(score: s - 1e-6, speechSeconds: seconds, enrolSeconds: e).outcome == .rejected)
                }
            }
        }
        #expect(DecisionRule.scoreThreshold(0.4).scoreThresholds(enrolSeconds: [1, 2], seconds: 1) == [0.4, 0.4])
        #expect(DecisionRule.closedSet.scoreThresholds(enrolSeconds: [1, 2], seconds: 1) == [0, 0])
    }

    /// The prior and costs: NIST SRE 2008's by default, the Bayes threshold log(C_fa (1 - P) /
    /// (C_miss P)), a posterior of one half at the LLR that cancels the prior odds, and the
    /// effective prior; the evaluation's metrics give the same.
    @Test func costsSetTheThresholdAndPosteriors() {
        let d = DecisionCosts()
        #expect(d.prior == 0.01 && d.costMiss == 10 && d.costFalseAlarm == 1)
        #expect(abs(d.bayesThreshold - log(9.9)) < 1e-12 && d.bayesThreshold == CalibrationMetrics.bayesThreshold(DetectionMetrics.CostModel()))
        #expect(abs(d.posterior(llr: log(99)) - 0.5) < 1e-12 && d.posterior(llr: 1.3) == CalibrationMetrics.posterior(llr: 1.3, prior: 0.01))
        #expect(abs(d.effectivePrior - 0.1 / 1.09) < 1e-15)
        // At the effective prior with unit costs, the Bayes threshold is the same.
        let unit = DecisionCosts(prior: d.effectivePrior, costMiss: 1, costFalseAlarm: 1)
        #expect(abs(unit.bayesThreshold - d.bayesThreshold) < 1e-12)
    }
}
