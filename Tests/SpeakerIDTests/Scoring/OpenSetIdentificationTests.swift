import Foundation
import Testing

@testable import SpeakerID

/// Open-set identification LLRs against the posterior computed directly from its definition.
struct OpenSetIdentificationTests {
    /// The posterior of λ_i at the prior is e^l_i / (N(1-π)/π + Σ_j e^l_j); with nobody
    /// enrolled's share the posteriors sum to 1; λ keeps the LLRs' order.
    @Test func posteriorsAreTheOpenSetPosteriors() {
        var rng = SeededRandom(seed: 7)
        for trial in 0..<200 {
            let n = 1 + trial % 30
            let prior = [0.5, 0.1, 0.9, 0.01][trial % 4]
            let llrs = (0..<n).map { _ in (rng.nextUnit() - 0.5) * 30 }
            let lambda = OpenSetIdentification.llrs(llrs, prior: prior)
            let k = Double(n) * (1 - prior) / prior
            let sum = llrs.reduce(0) { $0 + exp($1) }
            let costs = DecisionCosts(prior: prior)
            var total = k / (k + sum)
            for i in 0..<n {
                let direct = exp(llrs[i]) / (k + sum)
                let fromLambda = costs.posterior(llr: lambda[i])
                #expect(abs(fromLambda - direct) <= 1e-9 * max(1, direct), "n \(n) prior \(prior) i \(i): \(fromLambda) vs \(direct)")
                total += fromLambda
            }
            #expect(abs(total - 1) < 1e-9)
            for i in 0..<n { for j in 0..<n where llrs[i] < llrs[j] { #expect(lambda[i] < lambda[j]) } }
        }
    }

    /// One speaker: λ is the LLR itself. Others negligible: λ is l - log N at prior 1/2. LLRs
    /// far beyond exp's range stay finite, and the best keeps its margin over the second.
    @Test func limits() {
        #expect(OpenSetIdentification.llrs([3.5], prior: 0.5) == [3.5])
        #expect(OpenSetIdentification.llrs([], prior: 0.5).isEmpty)
        let lambda = OpenSetIdentification.llrs([4, -1e6, -1e6, -1e6], prior: 0.5)
        #expect(abs(lambda[0] - (4 - log(4))) < 1e-12)
        // Tied best speakers get the same λ (the naming could otherwise prefer either).
        var rng = SeededRandom(seed: 3)
        for _ in 0..<500 {
            var l = (0..<8).map { _ in (rng.nextUnit() - 0.5) * 20 }
            l[5] = l.max() ?? 0
            l[2] = l[5]
            let lambda = OpenSetIdentification.llrs(l, prior: 0.01)
            #expect(lambda[2] == lambda[5], "\(l)")
        }
        #expect(OpenSetIdentification.llrs([-.infinity, -.infinity], prior: 0.5).allSatisfy { $0 == -.infinity })
        let big = OpenSetIdentification.llrs([800, 790, -800], prior: 0.5)
        #expect(big.allSatisfy { $0.isFinite })
        // λ_best = 800 - log(3 + e^790 + e^-800) ≈ 10; λ_second = 790 - log(3 + e^800) ≈ -10.
        #expect(abs(big[0] - 10) < 1e-9 && abs(big[1] + 10) < 1e-9, "\(big)")
    }
}
