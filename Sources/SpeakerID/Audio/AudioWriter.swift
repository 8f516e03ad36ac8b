import CSndfile

/// Writes mono Float samples to a file with libsndfile (for tools, tests and benchmarks).
public enum AudioWriter {
    public enum Format: Sendable {
        case wav16, wavFloat, flac16
        var sfFormat: Int32 {
            switch self {
            case .wav16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
            case .flac16: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            }
        }
    }

    public static func write(_ samples: [Float], sampleRate: Int, channels: Int = 1, to path: String, format: Format = .wav16) throws(AudioError) {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.sfFormat
        guard let f = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw .unreadable(path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(f) }
        let n = samples.withUnsafeBufferPointer { sf_writef_float(f, $0.baseAddress, sf_count_t(samples.count / channels)) }
        if n != sf_count_t(samples.count / channels) {
            throw .decodeFailed(path, reason: "short write: " + String(cString: sf_strerror(f)))
        }
    }
}
