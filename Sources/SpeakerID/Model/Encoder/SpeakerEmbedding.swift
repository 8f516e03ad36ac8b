import Foundation

/// A recording's embedding by a speaker encoder: a unit vector, the speech it came from, and
/// the encoder that made it (embeddings of two encoders are never compared).
public struct SpeakerEmbedding: Sendable, Equatable {
    public var vector: [Float]
    /// Seconds of audio the encoder read after silence trimming.
    public var speechSeconds: Double
    /// Windows of 1.6 s the embedding averages.
    public var windows: Int
    public var encoder: EncoderIdentity

    /// An embedding as an encoder made it.
    public init(vector: [Float], speechSeconds: Double, windows: Int, encoder: EncoderIdentity) {
        self.vector = vector
        self.speechSeconds = speechSeconds
        self.windows = windows
        self.encoder = encoder
    }

    /// The cosine of two unit vectors (their dot product, accumulated in Double).
    public func cosine(_ other: SpeakerEmbedding) -> Double {
        var s = 0.0
        for i in 0..<min(vector.count, other.vector.count) { s += Double(vector[i]) * Double(other.vector[i]) }
        return s
    }
}

extension SpeakerEncoder {
    /// The encoder in the SpeakerID encoder file at `path`.
    public static func load(path: String) throws(EncoderError) -> SpeakerEncoder {
        let bytes: [UInt8]
        switch FileSystem.kind(path) {
        case .missing: throw .notAnEncoder(path, reason: "no such file; `speakerid encoder fetch` makes one")
        case .directory: throw .notAnEncoder(path, reason: "a folder, not a file")
        default: break
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw .notAnEncoder(path, reason: "cannot be read") }
        bytes = [UInt8](data)
        return try EncoderFile.decode(bytes, name: path)
    }

    /// The 16-kHz waveform of `source`, channels averaged.
    public static func waveform(of source: AudioSource, raw: RawAudioFormat? = nil) throws(EncoderError) -> (samples: [Float], name: String) {
        do {
            let decoder = try AudioDecoder(source, raw: raw)
            let rate = decoder.info.sampleRate
            let resampler = rate == sampleRate ? nil : try Resampler(from: rate, to: sampleRate, quality: .best, name: decoder.name)
            var out: [Float] = []
            var block: [Float] = [], converted: [Float] = []
            var more = try decoder.readBlock(into: &block)
            while more {
                let current = block
                more = try decoder.readBlock(into: &block)
                if let resampler {
                    try resampler.process(current, last: !more, into: &converted)
                    out += converted
                } else {
                    out += current
                }
            }
            return (out, decoder.name)
        } catch {
            throw .audio(error)
        }
    }

    /// The embedding of a recording: decoded, resampled to 16 kHz, raised to -30 dBFS if quieter,
    /// long silences cut, then embedded. Throws `tooLittleSpeech` when no speech is left.
    public func embedding(
        of source: AudioSource, raw: RawAudioFormat? = nil,
        preprocessing: EncoderPreprocessing = EncoderPreprocessing()
    ) throws(EncoderError) -> SpeakerEmbedding {
        let (samples, name) = try Self.waveform(of: source, raw: raw)
        return try embedding(ofSamples: samples, name: name, preprocessing: preprocessing)
    }

    /// The embedding of a 16-kHz waveform (`name` for messages).
    public func embedding(
        ofSamples samples: [Float], name: String,
        preprocessing: EncoderPreprocessing = EncoderPreprocessing()
    ) throws(EncoderError) -> SpeakerEmbedding {
        let wav = preprocessing.apply(samples)
        let seconds = Double(wav.count) / Double(Self.sampleRate)
        guard !wav.isEmpty else {
            throw .tooLittleSpeech(name, seconds: 0, minimum: Double(EncoderPreprocessing.windowSamples) / Double(Self.sampleRate))
        }
        let (vector, windows) = embed(preprocessed: wav)
        return SpeakerEmbedding(vector: vector, speechSeconds: seconds, windows: windows.count, encoder: identity)
    }

    /// The window embeddings of a stretch of 16-kHz audio, preprocessed as for enrolment, and
    /// the seconds of audio they read; when the preprocessing leaves nothing (a short stretch
    /// the silence trimming took whole), those of the stretch untrimmed. Empty for no samples.
    public func windowEmbeddings(of samples: [Float]) -> (windows: [[Float]], seconds: Double) {
        guard !samples.isEmpty else { return ([], 0) }
        var preprocessing = EncoderPreprocessing()
        var wav = preprocessing.apply(samples)
        if wav.isEmpty {
            preprocessing.trimSilence = false
            wav = preprocessing.apply(samples)
        }
        guard !wav.isEmpty else { return ([], 0) }
        return (embed(preprocessed: wav).windows, Double(wav.count) / Double(Self.sampleRate))
    }
}
