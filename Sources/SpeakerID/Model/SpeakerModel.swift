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

/// One enrolled speaker: a GMM, the front end its features came from, and its provenance.
public struct SpeakerModel: Sendable {
    public var speaker: String
    public var gmm: DiagGMM
    public var frontEnd: FrontEndOptions
    public var training: TrainingInfo

    public init(speaker: String, gmm: DiagGMM, frontEnd: FrontEndOptions, training: TrainingInfo) {
        self.speaker = speaker
        self.gmm = gmm
        self.frontEnd = frontEnd
        self.training = training
    }
}

public enum SpeakerIDVersion {
    public static let current = "0.1.0"
}
