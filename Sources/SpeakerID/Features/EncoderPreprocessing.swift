import Foundation

/// What resemblyzer does to a 16-kHz waveform before its encoder sees it: raise quiet recordings
/// to -30 dBFS (never lower loud ones), then cut silences longer than about 0.2 s. Resemblyzer
/// finds silence with WebRTC's voice activity detector; SpeakerID uses its own energy detector
/// (`VoiceActivity`, on 30-ms windows) and resemblyzer's smoothing: a moving average over 8
/// windows, rounded, then speech widened by 3 windows each side.
public struct EncoderPreprocessing: Sendable, Equatable {
    /// The level quiet recordings are raised to, in dB relative to full scale (RMS).
    public var targetDBFS: Double = -30
    /// Windows within this many dB of the loudest window count as speech: 40, the MFCC front
    /// end's VAD default, measured best on cv-fa's 207 test files (identification 0.937, EER
    /// 4.8%; 30 dB: 0.913, 5.8%; 50 dB: 0.913, 6.7%; resemblyzer's WebRTC VAD: 0.923, 4.4%;
    /// Tests/Benchmarks/dvector.py).
    public var speechThresholdDB: Double = 40
    /// Trim long silences at all.
    public var trimSilence: Bool = true

    public static let windowSamples = 480  // 30 ms at 16 kHz
    static let smoothingWidth = 8
    static let dilation = 6

    /// Resemblyzer's preprocessing with SpeakerID's speech detection, at the defaults.
    public init() {}

    /// The waveform the encoder reads; empty when nothing in it is speech.
    public func apply(_ samples: [Float]) -> [Float] {
        var wav = samples
        var sum = 0.0
        for s in wav { sum += Double(s) * Double(s) }
        guard !wav.isEmpty, sum > 0 else { return [] }
        let rmsDB = 10 * log10(sum / Double(wav.count))
        let change = targetDBFS - rmsDB
        if change > 0 {
            let gain = Float(pow(10, change / 20))
            for i in wav.indices { wav[i] *= gain }
        }
        return trimSilence ? trimmed(wav) : wav
    }

    func trimmed(_ wav: [Float]) -> [Float] {
        let w = Self.windowSamples
        let windows = wav.count / w
        guard windows > 0 else { return [] }
        var powerDB = [Double](repeating: -.infinity, count: windows)
        for k in 0..<windows {
            var s = 0.0
            for i in (k * w)..<((k + 1) * w) { s += Double(wav[i]) * Double(wav[i]) }
            powerDB[k] = 10 * log10(s / Double(w))
        }
        var options = VADOptions()
        options.thresholdDB = speechThresholdDB
        var voiced = [Bool](repeating: false, count: windows)
        for k in VoiceActivity.speechFrames(powerDB: powerDB, options: options) { voiced[k] = true }
        // Resemblyzer's moving average: the window centred (width 8: 3 before, 4 after), rounded
        // half to even as numpy does (4 of 8 voiced is 0.5, which rounds to 0).
        let width = Self.smoothingWidth, before = (width - 1) / 2
        var smoothed = [Bool](repeating: false, count: windows)
        for k in 0..<windows {
            var count = 0
            for j in (k - before)...(k + width - 1 - before) where j >= 0 && j < windows && voiced[j] { count += 1 }
            smoothed[k] = 2 * count > width
        }
        // Resemblyzer dilates with a structure of 6 + 1 windows, centred: 3 each side.
        let reach = (Self.dilation + 1) / 2
        // Short recordings whose speech the smoothing removes entirely keep their voiced
        // windows as detected (resemblyzer would hand the encoder nothing).
        if !smoothed.contains(true) { smoothed = voiced }
        var keep = [Bool](repeating: false, count: windows)
        for k in 0..<windows where smoothed[k] {
            for j in max(0, k - reach)...min(windows - 1, k + reach) { keep[j] = true }
        }
        var out: [Float] = []
        out.reserveCapacity(windows * w)
        for k in 0..<windows where keep[k] { out.append(contentsOf: wav[(k * w)..<((k + 1) * w)]) }
        return out
    }
}
