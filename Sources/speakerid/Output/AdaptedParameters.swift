import SpeakerID

extension UBMReference {
    /// The adapted parameters by name (means, weights, variances), as info and speakers list
    /// print them.
    var adaptedNames: [String] {
        [("m", "means"), ("w", "weights"), ("v", "variances")].filter { adapted.contains($0.0) }.map(\.1)
    }
}
