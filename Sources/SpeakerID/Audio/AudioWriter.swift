import CSndfile

/// Writes mono Float samples to a file with libsndfile (for tools, tests and benchmarks).
public enum AudioWriter {
    /// Containers and encodings the writer produces.
    public enum Format: Sendable {
        case wav16, wav24, wav32, wavFloat, flac16, aiff16, oggVorbis, oggOpus, mp3
        var sfFormat: Int32 {
            switch self {
            case .wav16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .wav24: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
            case .wav32: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_32)
            case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
            case .flac16: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            case .aiff16: return Int32(SF_FORMAT_AIFF | SF_FORMAT_PCM_16)
            case .oggVorbis: return Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
            case .oggOpus: return Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
            case .mp3: return Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
            }
        }
    }

    /// Writes interleaved `samples` (channels x frames) to `path`.
    public static func write(_ samples: [Float], sampleRate: Int, channels: Int = 1, to path: String, format: Format = .wav16) throws(AudioError) {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.sfFormat
        guard let f = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw .unreadable(path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(f) }
        // Integer formats: clip samples beyond [-1, 1] instead of wrapping or failing.
        sf_command(f, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        let n = samples.withUnsafeBufferPointer { sf_writef_float(f, $0.baseAddress, sf_count_t(samples.count / channels)) }
        if n != sf_count_t(samples.count / channels) {
            throw .decodeFailed(path, reason: "short write: " + String(cString: sf_strerror(f)))
        }
    }
}
