#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The HTK mel scale.
public enum Mel {
    /// Mel value of a frequency in Hz.
    public static func fromHz(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
    /// Frequency in Hz of a mel value.
    public static func toHz(_ m: Double) -> Double { 700 * (pow(10, m / 2595) - 1) }
}

/// A triangular mel filterbank over the bins of a real FFT, stored sparsely (each filter's
/// first bin and its weights) because each filter touches only a few bins.
public struct MelFilterbank: Sendable {
    public let filterCount: Int
    public let binCount: Int
    /// First FFT bin of each filter.
    public let firstBin: [Int]
    /// Weights of each filter, starting at `firstBin`.
    public let weights: [[Float]]

    /// Filters with edges equally spaced on the mel scale between `low` and `high` Hz;
    /// each weight is the triangle evaluated at the bin's centre frequency on the mel axis
    /// (as Kaldi does), peaks at 1.
    public init(filters: Int, fftSize: Int, sampleRate: Int, low: Double, high: Double) {
        filterCount = filters
        binCount = fftSize / 2 + 1
        let mLow = Mel.fromHz(low), mHigh = Mel.fromHz(high)
        let step = (mHigh - mLow) / Double(filters + 1)
        var first: [Int] = [], all: [[Float]] = []
        for m in 0..<filters {
            let left = mLow + Double(m) * step, centre = left + step, right = centre + step
            var start = -1
            var w: [Float] = []
            for k in 0..<binCount {
                let mel = Mel.fromHz(Double(k) * Double(sampleRate) / Double(fftSize))
                var v = 0.0
                if mel > left && mel < right {
                    v = mel <= centre ? (mel - left) / (centre - left) : (right - mel) / (right - centre)
                }
                if v > 0 {
                    if start < 0 { start = k }
                    // Fill gaps (cannot happen for a triangle, kept for safety).
                    while start + w.count < k { w.append(0) }
                    w.append(Float(v))
                }
            }
            first.append(max(start, 0))
            all.append(w)
        }
        firstBin = first
        weights = all
    }

    /// The centre frequency of filter `m` in Hz.
    public static func centreFrequency(_ m: Int, filters: Int, low: Double, high: Double) -> Double {
        let mLow = Mel.fromHz(low), mHigh = Mel.fromHz(high)
        return Mel.toHz(mLow + Double(m + 1) * (mHigh - mLow) / Double(filters + 1))
    }
}
