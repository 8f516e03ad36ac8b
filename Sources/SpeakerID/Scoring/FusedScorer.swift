/// The fusion of the two systems at decision time: each clip scored by the speakers' GMMs
/// against the UBM and by the speaker encoder against their d-vectors, each speaker's two
/// scores turned into one calibrated LLR by a fusion calibration (`calibrate --system fusion`).
/// What `identify --system fusion` and `verify --system fusion` decide with.
public struct FusedScorer: Sendable {
    /// One speaker's scores of a clip.
    public struct SpeakerScores: Sendable, Equatable {
        public var speaker: String
        /// The GMM's log-likelihood ratio against the UBM.
        public var gmm: Double
        /// The cosine of the clip's embedding with the speaker's d-vector.
        public var cosine: Double
        /// The fused, calibrated natural-log LLR.
        public var llr: Double
    }

    /// One clip's scores, in model order, and the speech behind them.
    public struct Scores: Sendable {
        public var speakers: [SpeakerScores]
        /// Seconds of speech the GMMs scored (the MFCC front end's VAD), the calibration's
        /// test duration.
        public var speechSeconds: Double
        public var sourceSampleRate: Int
    }

    public let gmm: ClipScorer
    public let dvector: DVectorScorer
    public let calibration: Calibration
    let enrolSeconds: [Double]

    /// A scorer of `models` (MAP-adapted from `ubm`, enrolled with `encoder`); refuses a
    /// calibration that is not a fusion of this UBM, front end and encoder, and speakers
    /// without a d-vector of this encoder.
    public init(
        models: [SpeakerModel], ubm: SpeakerModel, encoder: SpeakerEncoder, calibration: Calibration, folder: String,
        topC: Int = 5
    ) throws {
        guard let first = models.first else { throw ScoringError.noModels }
        try calibration.check(
            ubmChecksum: ubm.checksumHex, frontEnd: first.frontEnd, scoreNormalization: .none, system: .fusion,
            encoder: encoder.identity.checksum, what: "the models in \(folder)")
        gmm = try ClipScorer(models: models, ubm: ubm, topC: topC)
        dvector = try DVectorScorer(encoder: encoder, models: models, folder: folder)
        self.calibration = calibration
        enrolSeconds = models.map(\.training.speechSeconds)
    }

    /// Every speaker's scores of `source`, in model order.
    public func scores(_ source: AudioSource, raw: RawAudioFormat? = nil, chunkSeconds: Double = 600) throws -> Scores {
        let r = try gmm.scores(source, raw: raw, chunkSeconds: chunkSeconds)
        let e = try dvector.encoder.embedding(of: source, raw: raw)
        let cosines = dvector.scores(e)
        let speech = Double(r.speechFrames) * gmm.frontEnd.options.framing.frameShiftMs / 1000
        let speakers = gmm.models.indices.map { k in
            SpeakerScores(
                speaker: gmm.models[k].speaker, gmm: r.raw[k], cosine: cosines[k],
                llr: calibration.llr(gmmScore: r.raw[k], dvectorScore: cosines[k], testSeconds: speech, enrolSeconds: enrolSeconds[k]))
        }
        return Scores(speakers: speakers, speechSeconds: speech, sourceSampleRate: r.sourceSampleRate)
    }
}
