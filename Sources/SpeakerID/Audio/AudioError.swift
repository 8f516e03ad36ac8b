/// Why an audio input could not be turned into samples. Every case names the input, so a batch
/// job can report exactly which file is bad.
public enum AudioError: Error, Equatable, Sendable, CustomStringConvertible {
    case fileNotFound(String)
    case isDirectory(String)
    case unreadable(String, reason: String)
    case emptyFile(String)
    case notRegularFile(String, kind: String)
    case notAudio(String, reason: String)
    case noAudioData(String)
    case truncated(String, declaredFrames: Int64, readFrames: Int64)
    case decodeFailed(String, reason: String)
    case nonFiniteSamples(String)
    case unsupportedSampleRate(String, rate: Int)
    case resamplerFailed(String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file"
        case .isDirectory(let p): return "\(p): is a directory, not an audio file"
        case .unreadable(let p, let r): return "\(p): cannot be read (\(r))"
        case .emptyFile(let p): return "\(p): the file is empty (0 bytes)"
        case .notRegularFile(let p, let k):
            return "\(p): is \(k), not a regular file; to read a stream, pipe it to standard input and give '-' instead"
        case .notAudio(let p, let r): return "\(p): not a recognised audio file (\(r))"
        case .noAudioData(let p): return "\(p): holds no audio samples (zero length)"
        case .truncated(let p, let d, let r):
            return "\(p): truncated: the header declares \(d) frames but only \(r) could be decoded"
        case .decodeFailed(let p, let r): return "\(p): decoding failed (\(r))"
        case .nonFiniteSamples(let p): return "\(p): contains NaN or infinite samples"
        case .unsupportedSampleRate(let p, let rate):
            return "\(p): sample rate \(rate) Hz is outside the supported range \(AudioLimits.minimumRate)-\(AudioLimits.maximumRate) Hz"
        case .resamplerFailed(let p, let r): return "\(p): resampling failed (\(r))"
        }
    }
}

/// The sample rates the decoder accepts. The resampler (libsamplerate) supports conversion
/// ratios up to 256 either way, and speech below 1 kHz carries nothing to model.
public enum AudioLimits {
    public static let minimumRate = 1000
    public static let maximumRate = 768_000
}
