/// Maximum a posteriori adaptation of a UBM to one speaker's frames (Reynolds, Quatieri &
/// Dunn 2000, section 3): with the speaker's statistics n_k, E_k[x], E_k[x^2] under the UBM
/// and alpha_k = n_k / (n_k + r),
///   mu_k'  = alpha_k E_k[x] + (1 - alpha_k) mu_k
///   w_k'   = [alpha_k n_k / N + (1 - alpha_k) w_k], rescaled to sum to 1
///   s_k'   = alpha_k E_k[x^2] + (1 - alpha_k)(s_k + mu_k^2) - mu_k'^2
/// Components the speaker's frames hardly touch stay at the UBM's values, which is what makes
/// the adapted model robust with a minute of speech, and lets scoring evaluate only the
/// components the UBM selects.
public struct MAPAdaptation: Codable, Equatable, Sendable {
    /// Relevance factor r (Reynolds: 16).
    public var relevance: Double = 16
    public var adaptMeans = true
    public var adaptWeights = false
    public var adaptVariances = false

    /// Options with the documented defaults.
    public init() {}

    /// The adaptation a speaker model records it was made with.
    public init(_ reference: UBMReference) {
        relevance = reference.relevance
        adaptMeans = reference.adapted.contains("m")
        adaptWeights = reference.adapted.contains("w")
        adaptVariances = reference.adapted.contains("v")
    }

    /// Which parameters MAP adapts, as a set.
    public struct Parameters: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        /// A set from its bits.
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let means = Parameters(rawValue: 1)
        public static let weights = Parameters(rawValue: 2)
        public static let variances = Parameters(rawValue: 4)
    }

    /// An adaptation of `parameters` with relevance factor `relevance`.
    public init(relevance: Double = 16, parameters: Parameters) {
        self.relevance = relevance
        self.parameters = parameters
    }

    /// What is adapted, as a set (the three flags behind it).
    public var parameters: Parameters {
        get {
            var p: Parameters = []
            if adaptMeans { p.insert(.means) }
            if adaptWeights { p.insert(.weights) }
            if adaptVariances { p.insert(.variances) }
            return p
        }
        set {
            adaptMeans = newValue.contains(.means)
            adaptWeights = newValue.contains(.weights)
            adaptVariances = newValue.contains(.variances)
        }
    }

    /// "m", "mw", "mv" or "mwv": what is adapted, as model files record it.
    public var code: String { (adaptMeans ? "m" : "") + (adaptWeights ? "w" : "") + (adaptVariances ? "v" : "") }

    /// Refuses options that cannot train a model, saying which.
    public func validate() throws(ModelError) {
        if !(relevance > 0) || !relevance.isFinite { throw .invalidParameters("relevance factor must be a positive number") }
        if !adaptMeans && !adaptWeights && !adaptVariances {
            throw .invalidParameters("MAP adaptation must adapt at least one of means, weights, variances")
        }
    }

    /// The adapted model. `varianceFloor` (per dimension) keeps adapted variances positive.
    public func adapt(_ ubm: DiagGMM, statistics s: GMMStatistics, varianceFloor: [Float]) throws(ModelError) -> DiagGMM {
        try validate()
        let K = ubm.components, D = ubm.dimension
        guard s.components == K else { throw .componentMismatch(expected: K, got: s.components) }
        guard s.dimension == D else { throw .dimensionMismatch(expected: D, got: s.dimension) }
        // Read once: the statistics are exact sums, converted to Double on each read.
        let occupancy = s.occupancy, firstOrder = s.firstOrder, secondOrder = s.secondOrder
        let N = occupancy.reduce(0, +)
        guard N > 0 else { throw .notEnoughFrames(frames: s.frames, components: K) }
        var w = ubm.weights, mu = ubm.means, va = ubm.variances
        for k in 0..<K {
            let n = occupancy[k]
            let alpha = n / (n + relevance)
            if adaptWeights { w[k] = Float(alpha * n / N + (1 - alpha) * Double(ubm.weights[k])) }
            guard n > 0 else { continue }
            for d in 0..<D {
                let i = k * D + d
                let ex = firstOrder[i] / n, ex2 = secondOrder[i] / n
                let m0 = Double(ubm.means[i]), v0 = Double(ubm.variances[i])
                let m = adaptMeans ? alpha * ex + (1 - alpha) * m0 : m0
                mu[i] = Float(m)
                if adaptVariances {
                    let v = alpha * ex2 + (1 - alpha) * (v0 + m0 * m0) - m * m
                    va[i] = max(Float(v), varianceFloor[d])
                }
            }
        }
        return try DiagGMM(weights: normalizedWeights(w), means: mu, variances: va, dimension: D)
    }
}
