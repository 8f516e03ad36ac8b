/// The d-vector system's scores: the cosine between a clip's embedding and each enrolled
/// speaker's d-vector (both of one encoder).
public struct DVectorScorer: Sendable {
    public let encoder: SpeakerEncoder
    public let speakers: [String]
    let dvectors: [SpeakerDVector]

    /// A scorer for `models`; refuses a speaker enrolled without a d-vector, or with another
    /// encoder's.
    public init(encoder: SpeakerEncoder, models: [SpeakerModel], folder: String) throws(ScoringError) {
        var names: [String] = [], vectors: [SpeakerDVector] = []
        for m in models {
            guard let d = m.dvector else {
                throw .modelsIncompatible(
                    "\(folder): speaker \(m.speaker.debugDescription) has no d-vector (enrolled without the speaker encoder); enrol the speaker again with the encoder in place"
                )
            }
            guard d.encoder == encoder.identity else {
                throw .modelsIncompatible(
                    "\(folder): speaker \(m.speaker.debugDescription)'s d-vector was made by encoder \(d.encoder.name) \(d.encoder.checksum), not by this one (\(encoder.identity.checksum))"
                )
            }
            names.append(m.speaker)
            vectors.append(d)
        }
        self.encoder = encoder
        speakers = names
        dvectors = vectors
    }

    /// The cosine of `embedding` with every speaker's d-vector, in `speakers`' order.
    public func scores(_ embedding: SpeakerEmbedding) -> [Double] { dvectors.map { $0.cosine(embedding) } }
}
