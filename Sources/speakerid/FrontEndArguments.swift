import ArgumentParser
import Foundation
import SpeakerID

/// Every MFCC front-end option, each overriding the documented default (or, for identify and
/// evaluate, checked against the models' configuration).
struct FrontEndArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Front-end sample rate in Hz; other rates are resampled (default: 16000).", valueName: "Hz"))
    var sampleRate: Int?
    @Option(help: ArgumentHelp("Analysis window length in ms (default: 20).", valueName: "ms"))
    var frameLength: Double?
    @Option(help: ArgumentHelp("Frame hop in ms (default: 10).", valueName: "ms"))
    var frameShift: Double?
    @Option(help: ArgumentHelp("Pre-emphasis coefficient, 0 to disable (default: 0.97).", valueName: "coef"))
    var preEmphasis: Double?
    @Option(help: ArgumentHelp("Number of triangular mel filters (default: 24).", valueName: "n"))
    var filters: Int?
    @Option(help: ArgumentHelp("Lower band edge in Hz, e.g. 300 for telephone speech (default: 20).", valueName: "Hz"))
    var lowFreq: Double?
    @Option(help: ArgumentHelp("Upper band edge in Hz, 0 for Nyquist, e.g. 3400 for telephone speech (default: 0).", valueName: "Hz"))
    var highFreq: Double?
    @Option(help: ArgumentHelp("Cepstral coefficients c1..cN kept (default: 20).", valueName: "N"))
    var ceps: Int?
    @Option(help: ArgumentHelp("Energy term before c1: none, c0 or log-energy (default: c0).", valueName: "term"))
    var energy: EnergyTerm?
    @Option(help: ArgumentHelp("Sinusoidal lifter parameter, 0 to disable (default: 0).", valueName: "Q"))
    var lifter: Double?
    @Option(help: ArgumentHelp("0: statics; 1: + deltas; 2: + delta-deltas (default: 2).", valueName: "order"))
    var deltas: Int?
    @Option(help: ArgumentHelp("Delta regression half-window in frames (default: 2).", valueName: "frames"))
    var deltaWindow: Int?
    @Option(help: ArgumentHelp("Keep frames within this many dB of the loudest frame (default: 40).", valueName: "dB"))
    var vadThreshold: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Never keep frames below this mean power in dBFS (default: -90).", valueName: "dBFS"))
    var vadFloor: Double?
    @Flag(help: "Keep every frame (no speech-activity detection).")
    var noVad = false
    @Option(help: ArgumentHelp("Per-utterance normalisation: none, mean, mean-variance or warp (default: mean).", valueName: "mode"))
    var normalize: NormalizationMode?
    @Option(help: ArgumentHelp("Feature-warping window in seconds (default: 3).", valueName: "s"))
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
        try o.validate()
        return o
    }

    /// For commands that use existing models: the models' configuration, refusing options
    /// that would change it.
    func check(against models: FrontEndOptions) throws -> FrontEndOptions {
        let o = try apply(to: models)
        if o != models {
            throw CLIError("the models were trained with a different front end (\(FrontEndOptions.differences(models, o))); front-end options must match the models'")
        }
        return o
    }
}

struct EMArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Gaussian components per speaker, or 'auto': the largest power of two with 25 speech frames per component, 4-128 (default: auto).", valueName: "K"))
    var components: ComponentsArgument?
    @Option(help: ArgumentHelp("Maximum EM iterations (default: 10).", valueName: "n"))
    var iterations: Int?
    @Option(help: ArgumentHelp("Stop when the average log-likelihood changes by less than this fraction (default: 1e-3).", valueName: "tol"))
    var tolerance: Double?
    @Option(help: ArgumentHelp("Variance floor as a fraction of the data's global variance (default: 0.01).", valueName: "fraction"))
    var varianceFloor: Double?
    @Option(help: ArgumentHelp("Random seed of the initialisation (default: 0).", valueName: "n"))
    var seed: UInt64?

    var automaticOrder: Bool { components == nil || components == .automatic }

    /// The EM options given on the command line that MAP adaptation does not use (it keeps the
    /// UBM's order and needs no EM), for refusing them with --ubm.
    var trainingOnlyGiven: [String] {
        [("--components", components != nil), ("--iterations", iterations != nil), ("--tolerance", tolerance != nil),
         ("--seed", seed != nil)].filter(\.1).map(\.0)
    }

    func options() throws -> EMOptions {
        var o = EMOptions()
        if case .fixed(let k) = components { o.components = k }
        if let v = iterations { o.maxIterations = v }
        if let v = tolerance { o.tolerance = v }
        if let v = varianceFloor { o.varianceFloor = v }
        if let v = seed { o.seed = v }
        try o.validate()
        return o
    }
}

struct CommonArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Worker threads (default: one per core).", valueName: "n"))
    var threads: Int?
    @Flag(name: .shortAndLong, help: "No progress or warnings on standard error.")
    var quiet = false

    var threadCount: Int { max(1, threads ?? defaultThreadCount()) }

    func validate() throws {
        if let t = threads, !(1...1024).contains(t) { throw ValidationError("--threads must be 1-1024") }
    }
}

/// An error whose message is for the user as it stands.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// How to read headerless audio.
struct RawAudioArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Read every input as headerless audio: RATE[:ENCODING[:CHANNELS]], encoding one of pcm8, pcm16 (default), pcm24, pcm32, float32, ulaw, alaw, gsm610; e.g. 8000:gsm610.", valueName: "format"))
    var raw: RawAudioFormat?

    /// The headerless format, if one was given.
    func format() throws -> RawAudioFormat? { raw }
}

/// The background model and how to score against it.
struct UBMArguments: ParsableArguments {
    @Option(help: ArgumentHelp("UBM the models were adapted from (train-ubm, enroll --ubm): scores become average log-likelihood ratios against it.", valueName: "file"))
    var ubm: String?
    @Option(help: ArgumentHelp("With --ubm: UBM components evaluated per frame in the UBM and the speaker models; 0 for exact scoring (default: 5).", valueName: "C"))
    var topC = 5

    func validate() throws {
        if topC < 0 { throw ValidationError("--top-c must be >= 0") }
    }

    func load() throws -> SpeakerModel? { try ubm.map { try ModelStore.loadUBM(path: $0) } }
}

/// T-norm at decision time for `identify` and `verify`.
struct TNormArguments: ParsableArguments {
    @Option(help: ArgumentHelp("With --ubm: T-norm each clip's scores against the models in this folder, speakers who are not enrolled, adapted from the same UBM with the same enroll options (a model named like an enrolled one is left out of its own normalisation). --threshold then applies to T-normed scores, as 'evaluate --score-norm tnorm' reports them.", valueName: "dir"))
    var tnormModels: String?

    /// The cohort models, checked against the UBM (whose front end the enrolled models share).
    func load(ubm: SpeakerModel?) throws -> [SpeakerModel]? {
        guard let tnormModels else { return nil }
        guard let ubm else { throw CLIError("--tnorm-models needs --ubm") }
        return try ModelStore(directory: tnormModels).loadAll(ubm: ubm)
    }

    /// A scorer of `models`, T-normed by the cohort when one is given.
    func scorer(models: [SpeakerModel], ubm: SpeakerModel?, topC: Int) throws -> ClipScorer {
        let cohort = try load(ubm: ubm)
        do { return try ClipScorer(models: models, ubm: ubm, cohort: cohort, topC: topC) } catch let e as ScoreNormalizationError {
            throw CLIError("\(tnormModels ?? ""): \(e)")
        }
    }
}

/// The clips `identify` and `verify` score, and how.
struct ClipArguments: ParsableArguments {
    @Flag(help: "One JSON object per clip (a clip that cannot be scored gives {\"file\", \"error\"}).")
    var json = false
    @Option(help: ArgumentHelp("Long recordings are read in chunks of this many seconds, each normalised on its own, so memory stays bounded (default: 600).", valueName: "s"))
    var chunkSeconds = 600.0
    @Option(help: ArgumentHelp("Clips with less speech than this (after the VAD) get the answer 'too short' instead of a speaker (default: 0.2).", valueName: "s"))
    var minSpeech = ClipDecision.defaultMinimumSpeech
    @Flag(help: "Exit 0 when some clips could not be scored (each is still reported on standard error), as long as one could.")
    var skipBad = false
    @Argument(help: "Audio clips (files or folders; '-' for standard input).")
    var clips: [String]

    func validate() throws {
        if !(chunkSeconds >= 1 && chunkSeconds <= 86_400) { throw ValidationError("--chunk-seconds must be 1-86400") }
        if !(minSpeech >= 0 && minSpeech <= 3600) { throw ValidationError("--min-speech must be 0-3600 seconds") }
        if clips.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input ('-') can be given only once") }
    }

    /// Files, folders (their audio files), or '-' for standard input; the same file given
    /// twice (or a folder and a file in it) once, with a note.
    func sources(quiet: Bool) throws -> [AudioSource] {
        let files = Corpus.expandInputs(clips.filter { $0 != "-" })
        if !quiet && !files.files.isEmpty { for n in files.notes { Console.warn("note: " + n) } }
        var out = files.files.map { AudioSource.file($0) }
        if clips.contains("-") {
            // Standard input first when it was given first, else last.
            let stdin = AudioSource.memory(FileHandle.standardInput.readDataToEndOfFile(), name: "(standard input)")
            if clips.first == "-" { out.insert(stdin, at: 0) } else { out.append(stdin) }
        }
        if out.isEmpty { throw CLIError("no audio files found in \(clips.joined(separator: ", "))") }
        return out
    }
}

/// What `identify` and `verify` answer for one clip.
enum ClipDecision: String {
    /// Closed set: the best-scoring speaker is named.
    case identified
    /// The score reached the threshold.
    case accepted
    /// The score fell below the threshold (identify: nobody enrolled, "<unknown>").
    case rejected
    /// Less speech than `--min-speech`: no speaker is named.
    case tooShort = "too_short"

    /// Seconds of speech below which no speaker is named. Measured: the 50-ms clip of the
    /// bad-input catalogue (4 frames) out-scored every genuine clip; the shortest spoken digits
    /// of fsdd hold 0.16-0.25 s of speech, and 99% of them at least 0.23 s.
    static let defaultMinimumSpeech = 0.2

    /// How the text output shows it: a form no speaker name can take (names cannot begin with '<').
    func text(speaker: String) -> String {
        switch self {
        case .identified, .accepted: return speaker
        case .rejected: return "<unknown>"
        case .tooShort: return "<too short>"
        }
    }
}
