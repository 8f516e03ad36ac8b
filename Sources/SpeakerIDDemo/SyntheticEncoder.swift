import SpeakerID

/// Speaker encoders of SpeakerID's format with random weights: the whole d-vector pipeline
/// (enrolment, scoring, calibration, fusion) in tests without resemblyzer's wheel.
public enum SyntheticEncoder {
    /// An encoder file of `hidden` units, `layers` LSTM layers and an embedding of `embedding`,
    /// its weights drawn from `seed`.
    public static func file(
        hidden: Int = 8, layers: Int = 1, embedding: Int = 16, seed: UInt64 = 1,
        name: String = "test-encoder"
    ) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        func uniform(_ n: Int) -> [Float] { (0..<n).map { _ in Float((rng.nextUnit() * 2 - 1) / Double(hidden).squareRoot()) } }
        var tensors: [(String, [Int], [Float])] = []
        for l in 0..<layers {
            let input = l == 0 ? 40 : hidden
            tensors.append(("lstm.weight_ih_l\(l)", [4 * hidden, input], uniform(4 * hidden * input)))
            tensors.append(("lstm.weight_hh_l\(l)", [4 * hidden, hidden], uniform(4 * hidden * hidden)))
            tensors.append(("lstm.bias_ih_l\(l)", [4 * hidden], uniform(4 * hidden)))
            tensors.append(("lstm.bias_hh_l\(l)", [4 * hidden], uniform(4 * hidden)))
        }
        tensors.append(("linear.weight", [embedding, hidden], uniform(embedding * hidden)))
        tensors.append(("linear.bias", [embedding], uniform(embedding).map { abs($0) }))  // some output survives the ReLU
        let meta = EncoderFile.Metadata(
            name: name, sourcePackage: "tests", sourceVersion: "0", sourceFile: "random",
            sourceChecksum: "0000000000000000", licence: "none", sampleRate: 16000, bands: 40,
            hidden: hidden, layers: layers, embeddingSize: embedding)
        return EncoderFile.encode(meta, tensors)
    }
}
