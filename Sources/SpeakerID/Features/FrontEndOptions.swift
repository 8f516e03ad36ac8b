import Foundation

/// Framing and pre-processing of the waveform.
public struct FramingOptions: Codable, Equatable, Sendable {
    /// Rate the front end works at, in Hz. Input at another rate is resampled to it.
    public var sampleRate: Int = 16000
    /// Window length in milliseconds (Reynolds: 20 ms).
    public var frameLengthMs: Double = 20
    /// Hop between frames in milliseconds (10 ms: 100 frames per second).
    public var frameShiftMs: Double = 10
    /// First-order pre-emphasis coefficient, applied within each frame (0 disables).
    public var preEmphasis: Double = 0.97
    /// Subtract each frame's mean before pre-emphasis, so a DC offset changes nothing.
    public var removeDCOffset: Bool = true

    /// Options with the documented defaults.
    public init() {}

    public var frameLength: Int { Int((Double(sampleRate) * frameLengthMs / 1000).rounded()) }
    public var frameShift: Int { Int((Double(sampleRate) * frameShiftMs / 1000).rounded()) }
    /// Smallest power of two holding one frame.
    public var fftSize: Int {
        var n = 1
        while n < frameLength { n <<= 1 }
        return n
    }
}

/// The triangular mel filterbank (HTK mel scale: 2595 log10(1 + f/700)).
public struct FilterbankOptions: Codable, Equatable, Sendable {
    /// Number of triangular filters.
    public var filters: Int = 24
    /// Lower band edge in Hz (e.g. 300 for telephone speech).
    public var lowFrequency: Double = 20
    /// Upper band edge in Hz; 0 means the Nyquist frequency (e.g. 3400 for telephone speech).
    public var highFrequency: Double = 0
    /// Floor applied to filter energies before the logarithm, so silence gives log(floor),
    /// never -inf.
    public var logFloor: Double = 1e-10

    /// Options with the documented defaults.
    public init() {}
}

/// What is prepended to the cepstra as an energy term.
public enum EnergyTerm: String, Codable, Equatable, Sendable, CaseIterable {
    /// Nothing: c1..cN only (Reynolds: energy is unreliable across sessions).
    case none
    /// The zeroth cepstral coefficient.
    case c0
    /// The log of the frame's energy after DC removal, before pre-emphasis.
    case logEnergy = "log-energy"
}

/// The cepstral transform.
public struct CepstralOptions: Codable, Equatable, Sendable {
    /// Cepstral coefficients c1..cN kept (N).
    public var coefficients: Int = 20
    /// Optional energy term placed before c1. Default c0: after mean normalisation it keeps
    /// the loudness contour, not the level, and it measured better on all three corpora (README).
    public var energy: EnergyTerm = .c0
    /// Sinusoidal lifter parameter Q (c_k *= 1 + Q/2 sin(pi k / Q)); 0 disables.
    public var lifter: Double = 0

    /// Options with the documented defaults.
    public init() {}
}

/// Dynamic features appended to the static ones.
public struct DeltaOptions: Codable, Equatable, Sendable {
    /// 0: statics only; 1: + deltas; 2: + deltas and delta-deltas (the default: measured best
    /// for one-second test segments, README).
    public var order: Int = 2
    /// Regression half-window in frames (deltas over +-window frames).
    public var window: Int = 2

    /// Options with the documented defaults.
    public init() {}
}

/// Energy-based speech activity detection.
public struct VADOptions: Codable, Equatable, Sendable {
    /// Turn the VAD off to keep every frame.
    public var enabled: Bool = true
    /// Keep frames whose energy is within this many dB of the utterance's loudest frame
    /// (40 dB measured better than 30 on crowd-sourced speech, README).
    public var thresholdDB: Double = 40
    /// Never keep frames below this mean power, in dB relative to full scale.
    public var floorDB: Double = -90

    /// Options with the documented defaults.
    public init() {}
}

/// Per-utterance feature normalisation.
public enum NormalizationMode: String, Codable, Equatable, Sendable, CaseIterable {
    case none
    /// Cepstral mean subtraction over the speech frames.
    case mean
    /// Mean and variance normalisation over the speech frames.
    case meanVariance = "mean-variance"
    /// Feature warping to a standard normal over a sliding window (Pelecanos & Sridharan 2001).
    case warp
}

/// Which per-utterance normalisation and, for warping, its window.
public struct NormalizationOptions: Codable, Equatable, Sendable {
    public var mode: NormalizationMode = .mean
    /// Sliding window for feature warping, in seconds (3 s = 300 frames at a 10 ms hop).
    public var warpWindowSeconds: Double = 3

    /// Options with the documented defaults.
    public init() {}
}

/// Every choice of the MFCC front end. Part of every model file: models are only ever
/// compared with features made exactly the same way.
public struct FrontEndOptions: Codable, Equatable, Sendable {
    public var framing = FramingOptions()
    public var filterbank = FilterbankOptions()
    public var cepstral = CepstralOptions()
    public var deltas = DeltaOptions()
    public var vad = VADOptions()
    public var normalization = NormalizationOptions()
    /// Resampler quality used when the input's rate differs from `framing.sampleRate`.
    public var resampleQuality: Resampler.Quality = .medium

    /// Options with the documented defaults.
    public init() {}

    /// Static coefficients per frame (cepstra plus the optional energy term).
    public var staticDimension: Int { cepstral.coefficients + (cepstral.energy == .none ? 0 : 1) }
    /// Dimension of one feature vector.
    public var dimension: Int { staticDimension * (1 + deltas.order) }

    /// Upper band edge in Hz, resolving 0 to the Nyquist frequency.
    public var effectiveHighFrequency: Double {
        filterbank.highFrequency > 0 ? filterbank.highFrequency : Double(framing.sampleRate) / 2
    }

    /// Whether audio recorded at `sourceRate` lacks part of the band these options analyse:
    /// upsampled audio (8-kHz telephone speech for 16-kHz models) has nothing above its
    /// Nyquist frequency, so its upper mel bands hold only the resampler's noise floor, which
    /// models trained on full-band speech never saw. Scores of such audio are not comparable
    /// with those of full-band audio: minilibri's test files downsampled to 8 kHz lost 18
    /// points of genuine acceptance at the same threshold (README, open set).
    public func lacksBand(sourceRate: Int) -> Bool {
        Double(sourceRate) / 2 < 0.95 * effectiveHighFrequency
    }

    /// A warning naming `name` when audio recorded at `sourceRate` `lacksBand`; nil otherwise.
    public func narrowBandWarning(_ name: String, sourceRate: Int) -> String? {
        guard lacksBand(sourceRate: sourceRate) else { return nil }
        return
            "\(name): \(sourceRate)-Hz audio has no content above \(sourceRate / 2) Hz, but the models analyse up to \(Int(effectiveHighFrequency)) Hz; its scores are not comparable with full-band audio's (enrol and score narrow-band audio with a front end at \(sourceRate) Hz, or limit the analysed band to \(sourceRate / 2) Hz)"
    }

    /// Longest frame length or shift accepted, in milliseconds.
    public static let maximumFrameMs = 1000.0

    /// Checks the options are coherent before any work is done.
    public func validate() throws(FeatureError) {
        func bad(_ s: String) -> FeatureError { .invalidOptions(s) }
        if framing.sampleRate < AudioLimits.minimumRate || framing.sampleRate > AudioLimits.maximumRate {
            throw bad("sample rate \(framing.sampleRate) Hz is outside \(AudioLimits.minimumRate)-\(AudioLimits.maximumRate) Hz")
        }
        // Ranges are checked before any length in samples is computed from them (an infinite
        // or huge length would not fit an Int).
        if !(framing.frameLengthMs > 0 && framing.frameLengthMs <= Self.maximumFrameMs) || framing.frameLength < 2 {
            throw bad(
                "frame length \(formatSeconds(framing.frameLengthMs)) ms must be at most \(Int(Self.maximumFrameMs)) ms and hold at least 2 samples")
        }
        if !(framing.frameShiftMs > 0 && framing.frameShiftMs <= Self.maximumFrameMs) || framing.frameShift < 1 {
            throw bad("frame shift \(formatSeconds(framing.frameShiftMs)) ms must be at most \(Int(Self.maximumFrameMs)) ms and at least one sample")
        }
        if framing.frameShift > framing.frameLength {
            throw bad(
                "frame shift \(formatSeconds(framing.frameShiftMs)) ms is longer than the \(formatSeconds(framing.frameLengthMs)) ms frame: the audio between frames would never be analysed"
            )
        }
        if !(framing.preEmphasis >= 0 && framing.preEmphasis < 1) { throw bad("pre-emphasis must be in [0, 1)") }
        if filterbank.filters < 2 || filterbank.filters > 256 { throw bad("filters must be 2-256") }
        let nyquist = Double(framing.sampleRate) / 2
        if !(filterbank.lowFrequency >= 0) || !(effectiveHighFrequency <= nyquist) || !(filterbank.lowFrequency < effectiveHighFrequency) {
            throw bad("band \(filterbank.lowFrequency)-\(effectiveHighFrequency) Hz must satisfy 0 <= low < high <= \(nyquist) (Nyquist)")
        }
        if !(filterbank.logFloor > 0) { throw bad("log floor must be positive") }
        if cepstral.coefficients < 1 || cepstral.coefficients >= filterbank.filters {
            throw bad("cepstral coefficients must be 1..\(filterbank.filters - 1) (fewer than the \(filterbank.filters) filters)")
        }
        if !(cepstral.lifter >= 0 && cepstral.lifter <= 1000) { throw bad("lifter must be 0-1000") }
        if deltas.order < 0 || deltas.order > 2 { throw bad("delta order must be 0, 1 or 2") }
        if deltas.window < 1 || deltas.window > 10 { throw bad("delta window must be 1-10 frames") }
        if !vad.thresholdDB.isFinite || vad.thresholdDB <= 0 { throw bad("VAD threshold must be a positive number of dB") }
        if !vad.floorDB.isFinite { throw bad("VAD floor must be finite") }
        if !(normalization.warpWindowSeconds > 0 && normalization.warpWindowSeconds <= 3600) {
            throw bad("warping window must be more than 0 and at most 3600 s")
        }
        if vad.thresholdDB > 200 { throw bad("VAD threshold must be at most 200 dB") }
        // A filter narrower than one FFT bin would be empty.
        let binHz = Double(framing.sampleRate) / Double(framing.fftSize)
        let melLow = Mel.fromHz(filterbank.lowFrequency), melHigh = Mel.fromHz(effectiveHighFrequency)
        let firstWidth = Mel.toHz(melLow + 2 * (melHigh - melLow) / Double(filterbank.filters + 1)) - filterbank.lowFrequency
        if firstWidth < binHz {
            throw bad(
                "\(filterbank.filters) filters over \(filterbank.lowFrequency)-\(effectiveHighFrequency) Hz are narrower than one FFT bin (\(binHz) Hz); use fewer filters or a wider band"
            )
        }
    }
}

/// Why features could not be computed.
public enum FeatureError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidOptions(String)
    /// The recording could not be read or decoded (the audio error names it).
    case audio(AudioError)
    case tooShort(String, seconds: Double, frameSeconds: Double)
    case noSpeech(String, frames: Int)

    public var description: String {
        switch self {
        case .audio(let e): return e.description
        case .invalidOptions(let s): return "invalid front-end options: \(s)"
        case .tooShort(let n, let s, let f):
            return "\(n): too short (\(formatSeconds(s)) s) for one \(formatSeconds(f)) s analysis frame"
        case .noSpeech(let n, let frames):
            return "\(n): no speech found: all \(frames) frames are silent or below the VAD floor"
        }
    }
}

func formatSeconds(_ s: Double) -> String {
    String(format: "%.3g", s)
}
