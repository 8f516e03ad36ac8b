import Foundation

/// Where audio comes from: a file on disk, or bytes already in memory (standard input, a
/// network buffer, a fuzzer). Both are decoded by libsndfile.
public enum AudioSource: Sendable, CustomStringConvertible {
    case file(String)
    /// In-memory bytes, with a name used in messages.
    case memory(Data, name: String)
    /// Part of a file, from `start` to `end` seconds (a Kaldi `segments` entry), with a name
    /// used in messages (the utterance's).
    case segment(String, start: Double, end: Double, name: String)

    public var description: String {
        switch self {
        case .file(let path): return path
        case .memory(_, let name): return name
        case .segment(_, _, _, let name): return name
        }
    }
}

/// Describes headerless ("raw") audio, which carries no rate or encoding of its own.
public struct RawAudioFormat: Sendable, Equatable, Codable {
    /// Sample encodings libsndfile reads without a header.
    public enum Encoding: String, Sendable, Codable, CaseIterable {
        case pcm8 = "pcm8", pcm16 = "pcm16", pcm24 = "pcm24", pcm32 = "pcm32"
        case float32 = "float32", ulaw = "ulaw", alaw = "alaw", gsm610 = "gsm610"
    }
    public var sampleRate: Int
    public var channels: Int
    public var encoding: Encoding

    /// A headerless format: rate in Hz, interleaved channels, sample encoding.
    public init(sampleRate: Int, channels: Int = 1, encoding: Encoding = .pcm16) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.encoding = encoding
    }
}

/// What the decoder learned from a file's header.
public struct AudioInfo: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    /// Frames (samples per channel) the header declares.
    public var frames: Int64
    /// libsndfile's name of the container and encoding, e.g. "FLAC (Free Lossless Audio Codec)".
    public var formatName: String

    public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }
}
