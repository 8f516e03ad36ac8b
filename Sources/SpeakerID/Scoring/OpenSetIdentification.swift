import Foundation

/// Open-set identification from calibrated verification LLRs (one per enrolled speaker): the
/// voice is one of the N enrolled speakers, each equally likely a priori, with probability
/// `prior`, and nobody enrolled otherwise. Each speaker's verification LLR weighs their
/// hypothesis against "not them"; taking the best of N such LLRs with a verification threshold
/// ignores N, and accepts more never-enrolled voices the more speakers are enrolled. The
/// posterior of speaker i is e^l_i / (N(1-prior)/prior + Σ_j e^l_j), and
///
///     λ_i = l_i - log(N + prior/(1-prior) · Σ_{j≠i} e^l_j)
///
/// is the LLR whose posterior at `prior` is that posterior (`DecisionCosts.posterior(llr:)`):
/// the same Bayes threshold decides it, and it is l_i - log N when the others are negligible.
public enum OpenSetIdentification {
    /// λ for each of `llrs` (calibrated verification LLRs of every enrolled speaker) at
    /// `prior` (the probability that the voice is an enrolled speaker's). Empty for none.
    public static func llrs(_ llrs: [Double], prior: Double) -> [Double] {
        guard let m = llrs.max(), m.isFinite else { return llrs }
        let logN = log(Double(llrs.count)), logOdds = log(prior / (1 - prior))
        // Σ_{j≠i} e^l_j in the log domain, max-shifted: from the total for a speaker below the
        // best, directly for the best ones (whose share of the total would cancel badly; tied
        // best speakers get the same sum, so the same λ).
        let total = logSumExp(llrs)
        let best = llrs.indices.filter { llrs[$0] == m }
        let withoutOneBest = logSumExp(llrs.enumerated().filter { $0.offset != best[0] }.map(\.element))
        return llrs.map { l in
            let others = l == m ? withoutOneBest : total + log1p(-exp(l - total))
            return l - logAddExp(logN, logOdds + others)
        }
    }

    static func logSumExp(_ x: [Double]) -> Double {
        guard let m = x.max(), m.isFinite else { return x.max() ?? -.infinity }
        var s = 0.0
        for v in x { s += exp(v - m) }
        return m + log(s)
    }

    static func logAddExp(_ a: Double, _ b: Double) -> Double {
        if a == -.infinity { return b }
        if b == -.infinity { return a }
        let m = max(a, b)
        return m + log(exp(a - m) + exp(b - m))
    }
}
