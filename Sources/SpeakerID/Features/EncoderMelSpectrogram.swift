import CFFTW
import Foundation

/// The mel power spectrogram resemblyzer's encoder reads, computed as librosa 0.10+ computes
/// `librosa.feature.melspectrogram(y, sr=16000, n_fft=400, hop_length=160, n_mels=40)`: frames
/// centred on every hop (the signal padded with n_fft/2 zeros each side), a periodic Hann window,
/// |FFT|², and Slaney's mel filterbank (linear below 1 kHz, logarithmic above, each filter
/// normalised to unit area). Not logarithmic: the network was trained on power.
public struct EncoderMelSpectrogram: Sendable {
    public let sampleRate: Int
    public let fftSize: Int
    public let hop: Int
    public let bands: Int
    /// bands x (fftSize/2+1), row-major.
    let filters: [Float]
    /// Each band's bins from its first nonzero weight to its last.
    let support: [Range<Int>]
    let window: [Float]

    /// The spectrogram resemblyzer's encoder reads (its defaults).
    public init(sampleRate: Int = 16000, fftSize: Int = 400, hop: Int = 160, bands: Int = 40) {
        self.sampleRate = sampleRate
        self.fftSize = fftSize
        self.hop = hop
        self.bands = bands
        window = (0..<fftSize).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(fftSize))) }
        filters = Self.slaneyFilterbank(sampleRate: sampleRate, fftSize: fftSize, bands: bands)
        let bins = fftSize / 2 + 1, weights = filters
        support = (0..<bands).map { b in
            let nonzero = (0..<bins).filter { weights[b * bins + $0] != 0 }
            guard let first = nonzero.first, let last = nonzero.last else { return 0..<0 }
            return first..<(last + 1)
        }
    }

    /// Slaney's mel scale (the Auditory Toolbox's, librosa's default): 3 mels per 200 Hz up to
    /// 1 kHz, then 27 mels per factor of 6.4.
    static func hzToMel(_ f: Double) -> Double {
        f < 1000 ? f / (200.0 / 3) : 15 + log(f / 1000) / (log(6.4) / 27)
    }

    static func melToHz(_ m: Double) -> Double {
        m < 15 ? m * (200.0 / 3) : 1000 * exp((m - 15) * (log(6.4) / 27))
    }

    static func slaneyFilterbank(sampleRate: Int, fftSize: Int, bands: Int) -> [Float] {
        let bins = fftSize / 2 + 1
        let top = hzToMel(Double(sampleRate) / 2)
        let edges = (0..<(bands + 2)).map { melToHz(top * Double($0) / Double(bands + 1)) }
        var out = [Float](repeating: 0, count: bands * bins)
        for i in 0..<bands {
            let lowWidth = edges[i + 1] - edges[i], highWidth = edges[i + 2] - edges[i + 1]
            let norm = 2 / (edges[i + 2] - edges[i])
            for k in 0..<bins {
                let f = Double(k) * Double(sampleRate) / Double(fftSize)
                let rising = (f - edges[i]) / lowWidth, falling = (edges[i + 2] - f) / highWidth
                out[i * bins + k] = Float(max(0, min(rising, falling)) * norm)
            }
        }
        return out
    }

    /// Number of frames for `count` samples: one every hop, centred.
    public func frameCount(samples count: Int) -> Int { 1 + count / hop }

    /// The spectrogram of `samples`: frameCount x bands, row-major.
    public func frames(of samples: [Float]) -> [Float] {
        let n = frameCount(samples: samples.count)
        let bins = fftSize / 2 + 1
        let half = fftSize / 2
        var out = [Float](repeating: 0, count: n * bands)
        let plan = FFTPlan.forSize(fftSize)
        let buffers = FFTBuffers(plan: plan)
        var power = [Float](repeating: 0, count: bins)
        for t in 0..<n {
            let start = t * hop - half
            for j in 0..<fftSize {
                let i = start + j
                buffers.input[j] = (i >= 0 && i < samples.count ? samples[i] : 0) * window[j]
            }
            buffers.execute()
            for k in 0..<bins {
                let re = buffers.output[k].0, im = buffers.output[k].1
                power[k] = re * re + im * im
            }
            filters.withUnsafeBufferPointer { f in
                for b in 0..<bands {
                    // Only the filter's nonzero bins: adding the others' +0 products would
                    // leave every bit of the sum as it is.
                    var s: Float = 0
                    let row = b * bins
                    for k in support[b] { s += f[row + k] * power[k] }
                    out[t * bands + b] = s
                }
            }
        }
        return out
    }
}
