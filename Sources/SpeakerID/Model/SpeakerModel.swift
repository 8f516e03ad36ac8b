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
    /// The recordings the model was enrolled from (absent in models of SpeakerID 0.1). No
    /// date is kept, so the same enrolment gives the same file byte for byte; the file's own
    /// modification time says when it was written.
    public var sources: [EnrolledFile]?

    /// Training facts as recorded in a model file.
    public init(
        frames: Int, speechSeconds: Double, files: Int, iterations: Int, converged: Bool,
        finalLogLikelihood: Double, seed: UInt64, em: EMOptions, toolVersion: String = SpeakerIDVersion.current,
        sources: [EnrolledFile]? = nil
    ) {
        self.sources = sources
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
    /// The UBM's content checksum (`SpeakerModel.checksumHex`); models adapted before it
    /// existed hold the CRC-64 of the UBM file instead, which `matches` also accepts.
    public var checksum: String
    public var components: Int
    public var relevance: Double
    /// Which parameters were adapted ("m", "mw", "mv", "mwv").
    public var adapted: String

    /// A reference to the UBM whose content checksum is `checksum` (`SpeakerModel.checksumHex`).
    public init(checksum: String, components: Int, relevance: Double, adapted: String) {
        self.checksum = checksum
        self.components = components
        self.relevance = relevance
        self.adapted = adapted
    }

    /// Whether this reference names `ubm`: by its content checksum, or, for models adapted by
    /// SpeakerID before content checksums, by the CRC-64 of the file it was read from.
    public func matches(_ ubm: SpeakerModel) -> Bool {
        matches(UBMIdentity(ubm))
    }

    /// The same test against checksums worked out once, for checking many models.
    public func matches(_ ubm: UBMIdentity) -> Bool {
        checksum == ubm.checksumHex || ubm.fileChecksumHex == checksum
    }
}

/// A UBM's checksums as `UBMReference` names them, computed once (the content checksum reads
/// every parameter, so checking 10,000 models against it should not recompute it each time).
public struct UBMIdentity: Sendable, Equatable {
    /// The UBM's content checksum, as `SpeakerModel.checksumHex`.
    public let checksumHex: String
    /// The CRC-64 of the file it was read from, for models adapted before content checksums.
    public let fileChecksumHex: String?

    /// The checksums of `ubm`, worked out now.
    public init(_ ubm: SpeakerModel) {
        checksumHex = ubm.checksumHex
        fileChecksumHex = ubm.fileChecksum.map { String(format: "%016llx", $0) }
    }
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
    /// For MAP-adapted models: the enrolment's sufficient statistics, so audio can be added.
    public var enrolment: EnrollmentStatistics?
    /// The speaker's d-vector (the neural encoder's system), when enrolled with an encoder.
    public var dvector: SpeakerDVector?
    /// For a UBM being trained in steps (`init-ubm`, then rounds of `update`): where EM stands.
    /// nil for a finished model.
    public var emProgress: EMProgress?
    /// CRC-64 of the file the model was read from (nil for models not read from a file).
    public var fileChecksum: UInt64?

    /// CRC-64 of the model's content: its kind, front end and parameters (K, D, weights, means,
    /// variances), the same in memory and after a round trip through a file, so a UBM trained
    /// in memory can be adapted from and scored against before it is ever written.
    public var checksum: UInt64 {
        var crc = CRC64()
        crc.update(Array(kind.rawValue.utf8))
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        crc.update((try? enc.encode(frontEnd)) ?? Data())
        var body: [UInt8] = []
        body.reserveCapacity(8 + 4 * (gmm.components * (1 + 2 * gmm.dimension)))
        body.appendLE(UInt32(gmm.components))
        body.appendLE(UInt32(gmm.dimension))
        for v in gmm.weights { body.appendLE(v.bitPattern) }
        for v in gmm.means { body.appendLE(v.bitPattern) }
        for v in gmm.variances { body.appendLE(v.bitPattern) }
        crc.update(body)
        return crc.value
    }

    /// The content checksum as written in `UBMReference.checksum` (16 hex digits).
    public var checksumHex: String { String(format: "%016llx", checksum) }

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
