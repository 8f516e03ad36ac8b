import SpeakerID
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic speech-like test signals: voiced syllables (a harmonic series with a
/// wandering pitch and formant-like emphasis, plus breath noise) separated by pauses.
/// For benchmarks and tests that need audio with the structure of speech but no recording.
public enum SyntheticSpeech {
    /// `seconds` of mono audio at `sampleRate` around fundamental frequency `pitch` Hz, each
    /// syllable's formant drawn from `formants` Hz (voices differ in both, as speakers differ in
    /// pitch and vocal tract).
    public static func generate(
        seconds: Double, sampleRate: Int, seed: UInt64, pitch: Double = 120,
        formants: ClosedRange<Double> = 500...2500
    ) -> [Float] {
        var rng = SeededRandom(seed: seed)
        let n = Int(seconds * Double(sampleRate))
        var out = [Float](repeating: 0, count: n)
        var phase = 0.0
        var t = 0
        let fs = Double(sampleRate)
        while t < n {
            let syllable = Int((0.15 + 0.25 * rng.nextUnit()) * fs)
            let pause = Int((0.05 + 0.15 * rng.nextUnit()) * fs)
            let f0 = pitch * (0.8 + 0.4 * rng.nextUnit())
            let formant = formants.lowerBound + (formants.upperBound - formants.lowerBound) * rng.nextUnit()
            let amp = 0.1 + 0.3 * rng.nextUnit()
            for i in 0..<syllable where t + i < n {
                let env = sin(Double.pi * Double(i) / Double(syllable))
                let f = f0 * (1 + 0.05 * sin(2 * Double.pi * 3 * Double(i) / fs))
                phase += 2 * Double.pi * f / fs
                var s = 0.0
                var h = 1
                while Double(h) * f0 < min(fs / 2 - 100, 4000) {
                    let fh = Double(h) * f0
                    let gain = 1 / (1 + pow((fh - formant) / 400, 2)) + 0.1 / Double(h)
                    s += gain * sin(Double(h) * phase)
                    h += 1
                }
                out[t + i] = Float(amp * env * (0.3 * s + 0.02 * rng.nextGaussian()))
            }
            t += syllable
            for i in 0..<pause where t + i < n { out[t + i] = Float(0.001 * rng.nextGaussian()) }
            t += pause
        }
        return out
    }
}
