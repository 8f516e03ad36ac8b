/// Why a speaker encoder could not be read, converted or run.
public enum EncoderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not a SpeakerID encoder file (or not one this version reads).
    case notAnEncoder(String, reason: String)
    /// A SpeakerID encoder file whose checksum or structure does not hold.
    case corrupt(String, reason: String)
    /// A file given for conversion that is not the PyTorch checkpoint expected.
    case notACheckpoint(String, reason: String)
    /// A checkpoint whose tensors are not resemblyzer's network.
    case unexpectedNetwork(String, reason: String)
    /// A recording that could not be read.
    case audio(AudioError)
    /// A recording with too little speech for an embedding.
    case tooLittleSpeech(String, seconds: Double, minimum: Double)
    /// Embeddings of one encoder offered to a d-vector made by another (each described by name
    /// and checksum, and by dimension when only that differs).
    case otherEncoder(expected: String, got: String)

    public var description: String {
        switch self {
        case .notAnEncoder(let p, let r): return "\(p): not a SpeakerID speaker encoder (\(r))"
        case .corrupt(let p, let r): return "\(p): corrupt speaker encoder (\(r))"
        case .notACheckpoint(let p, let r): return "\(p): not resemblyzer's pretrained.pt (\(r))"
        case .unexpectedNetwork(let p, let r): return "\(p): not resemblyzer's voice encoder (\(r))"
        case .audio(let e): return e.description
        case .tooLittleSpeech(let p, let s, let m):
            return "\(p): \(formatSeconds(s)) s of speech after trimming silence, under the encoder's minimum of \(formatSeconds(m)) s"
        case .otherEncoder(let expected, let got):
            return "embeddings of encoder \(got) cannot join a d-vector made by encoder \(expected)"
        }
    }
}
