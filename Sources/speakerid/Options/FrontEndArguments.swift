import ArgumentParser
import Foundation
import SpeakerID

/// Every MFCC front-end option, each overriding the documented default (or, for identify and
/// evaluate, checked against the models' configuration).
struct FrontEndArguments: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Front-end sample rate in Hz; other rates are resampled (default: 16000).", valueName: "Hz"))
    var sampleRate: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Analysis window length in ms (default: 20).", valueName: "ms"))
    var frameLength: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Frame hop in ms (default: 10).", valueName: "ms"))
    var frameShift: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Pre-emphasis coefficient, 0 to disable (default: 0.97).", valueName: "coef"))
    var preEmphasis: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Number of triangular mel filters (default: 24).", valueName: "n"))
    var filters: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Lower band edge in Hz, e.g. 300 for telephone speech (default: 20).", valueName: "Hz"))
    var lowFreq: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Upper band edge in Hz, 0 for Nyquist, e.g. 3400 for telephone speech (default: 0).", valueName: "Hz"))
    var highFreq: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Cepstral coefficients c1..cN kept (default: 20).", valueName: "N"))
    var ceps: Int?
    @Option(help: ArgumentHelp("Energy term before c1: none, c0 or log-energy (default: c0).", valueName: "term"))
    var energy: EnergyTerm?
    @Option(parsing: .unconditional, help: ArgumentHelp("Sinusoidal lifter parameter, 0 to disable (default: 0).", valueName: "Q"))
    var lifter: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("0: statics; 1: + deltas; 2: + delta-deltas (default: 2).", valueName: "order"))
    var deltas: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Delta regression half-window in frames (default: 2).", valueName: "frames"))
    var deltaWindow: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Keep frames within this many dB of the loudest frame (default: 40).", valueName: "dB"))
    var vadThreshold: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Never keep frames below this mean power in dBFS (default: -90).", valueName: "dBFS"))
    var vadFloor: Double?
    @Flag(help: "Keep every frame (no speech-activity detection).")
    var noVad = false
    @Option(help: ArgumentHelp("Per-utterance normalisation: none, mean, mean-variance or warp (default: mean).", valueName: "mode"))
    var normalize: NormalizationMode?
    @Option(parsing: .unconditional, help: ArgumentHelp("Feature-warping window in seconds (default: 3).", valueName: "s"))
    var warpWindow: Double?
    @Option(help: ArgumentHelp("Resampler quality: best, medium or fastest (default: medium).", valueName: "q"))
    var resampleQuality: Resampler.Quality?

    var anyGiven: Bool {
        sampleRate != nil || frameLength != nil || frameShift != nil || preEmphasis != nil || filters != nil
            || lowFreq != nil || highFreq != nil || ceps != nil || energy != nil || lifter != nil || deltas != nil
            || deltaWindow != nil || vadThreshold != nil || vadFloor != nil || noVad || normalize != nil
            || warpWindow != nil || resampleQuality != nil
    }

    /// `base` with every option given on the command line applied.
    func apply(to base: FrontEndOptions) throws -> FrontEndOptions {
        var o = base
        if let v = sampleRate { o.framing.sampleRate = v }
        if let v = frameLength { o.framing.frameLengthMs = v }
        if let v = frameShift { o.framing.frameShiftMs = v }
        if let v = preEmphasis { o.framing.preEmphasis = v }
        if let v = filters { o.filterbank.filters = v }
        if let v = lowFreq { o.filterbank.lowFrequency = v }
        if let v = highFreq { o.filterbank.highFrequency = v }
        if let v = ceps { o.cepstral.coefficients = v }
        if let v = energy { o.cepstral.energy = v }
        if let v = lifter { o.cepstral.lifter = v }
        if let v = deltas { o.deltas.order = v }
        if let v = deltaWindow { o.deltas.window = v }
        if let v = vadThreshold { o.vad.thresholdDB = v }
        if let v = vadFloor { o.vad.floorDB = v }
        if noVad { o.vad.enabled = false }
        if let v = normalize { o.normalization.mode = v }
        if let v = warpWindow { o.normalization.warpWindowSeconds = v }
        if let v = resampleQuality { o.resampleQuality = v }
        // A value out of range is a usage error (exit 64), as the parser's own are.
        do { try o.validate() } catch { throw ValidationError("\(error)") }
        return o
    }

    /// For commands that use existing models: the models' configuration, refusing options
    /// that would change it.
    func check(against models: FrontEndOptions) throws -> FrontEndOptions {
        let o = try apply(to: models)
        if o != models {
            throw CLIError(
                "the models were trained with a different front end (\(FrontEndOptions.differences(models, o))); front-end options must match the models'"
            )
        }
        return o
    }
}

extension FrontEndArguments {
    /// The options given, as command-line words (the cluster driver passes them to its jobs;
    /// it re-parses them and refuses to run if they do not give the same front end).
    var commandLine: [String] {
        var a: [String] = []
        func add(_ name: String, _ v: CustomStringConvertible?) { if let v { a += ["--" + name, "\(v)"] } }
        add("sample-rate", sampleRate)
        add("frame-length", frameLength)
        add("frame-shift", frameShift)
        add("pre-emphasis", preEmphasis)
        add("filters", filters)
        add("low-freq", lowFreq)
        add("high-freq", highFreq)
        add("ceps", ceps)
        add("energy", energy?.rawValue)
        add("lifter", lifter)
        add("deltas", deltas)
        add("delta-window", deltaWindow)
        add("vad-threshold", vadThreshold)
        add("vad-floor", vadFloor)
        if noVad { a.append("--no-vad") }
        add("normalize", normalize?.rawValue)
        add("warp-window", warpWindow)
        add("resample-quality", resampleQuality?.rawValue)
        return a
    }
}
