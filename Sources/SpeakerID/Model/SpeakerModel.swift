import Foundation

/// How a speaker model was trained: enough to reproduce it and to judge it.
public struct TrainingInfo: Codable, Equatable, Sendable {
    /// Speech frames the model was trained on (after the VAD).
    public var frames: Int
    /// Seconds of speech those frames cover.
    public var speechSeconds: Double
    /// Audio files enrolled.
    public var files: Int
    public var iterations: Int
    public var converged: Bool
    public var finalLogLikelihood: Double
    public var seed: UInt64
    public var em: EMOptions
    /// Version of SpeakerID that wrote the model.
    public var toolVersion: String

    /// Training facts as recorded in a model file.
    public init(frames: Int, speechSeconds: Double, files: Int, iterations: Int, converged: Bool,
                finalLogLikelihood: Double, seed: UInt64, em: EMOptions, toolVersion: String = SpeakerIDVersion.current) {
        self.frames = frames
        self.speechSeconds = speechSeconds
        self.files = files
        self.iterations = iterations
        self.converged = converged
        self.finalLogLikelihood = finalLogLikelihood
        self.seed = seed
        self.em = em
        self.toolVersion = toolVersion
    }
}

/// What a model file holds.
public enum ModelKind: String, Codable, Sendable {
    /// One speaker's model (trained by EM, or MAP-adapted from a UBM).
    case speaker
    /// A universal background model (EM on many speakers' pooled frames).
    case ubm
}

/// Which UBM a speaker model was MAP-adapted from.
public struct UBMReference: Codable, Equatable, Sendable {
    /// CRC-64 of the UBM file's contents (its checksum trailer), hex.
    public var checksum: String
    public var components: Int
    public var relevance: Double
    /// Which parameters were adapted ("m", "mw", "mv", "mwv").
    public var adapted: String
}

/// One enrolled speaker (or a UBM): a GMM, the front end its features came from, and its
/// provenance.
public struct SpeakerModel: Sendable {
    public var speaker: String
    public var gmm: DiagGMM
    public var frontEnd: FrontEndOptions
    public var training: TrainingInfo
    public var kind: ModelKind = .speaker
    /// Set for models MAP-adapted from a UBM.
    public var ubm: UBMReference?
    /// For a UBM being trained in steps (`init-ubm`, then rounds of `update`): where EM stands.
    /// nil for a finished model.
    public var emProgress: EMProgress?
    /// CRC-64 of the file the model was read from (nil for models not read from a file).
    public var checksum: UInt64?

    /// The checksum as written in `UBMReference.checksum`.
    public var checksumHex: String? { checksum.map { String(format: "%016llx", $0) } }

    /// A speaker model (kind `.speaker`, not adapted from a UBM).
    public init(speaker: String, gmm: DiagGMM, frontEnd: FrontEndOptions, training: TrainingInfo) {
        self.speaker = speaker
        self.gmm = gmm
        self.frontEnd = frontEnd
        self.training = training
    }
}

/// The toolkit's version, written into every model file.
public enum SpeakerIDVersion {
    public static let current = "0.1.0"
}
