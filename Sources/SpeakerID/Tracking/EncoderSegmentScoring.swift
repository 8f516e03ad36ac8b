/// How a tracker decides its segments and live windows with the speaker encoder
/// (`track --system dvector` or `fusion`): each stretch's audio is embedded and compared with
/// every enrolled d-vector; `dvector` decides on the cosine's calibrated LLR, `fusion` on the
/// fusion of the GMM's and the cosine's calibrated LLRs. The turns themselves are still found by
/// the GMM decoder (frame scores, BIC change points): with `fusion` its unknown state uses the
/// fusion's GMM part, with `dvector` it is closed over the enrolled speakers, since the GMM
/// scores then carry no calibration.
public struct EncoderSegmentScoring: Sendable {
    public let system: ScoringSystem
    public let scorer: DVectorScorer
    /// The `dvector` or `fusion` calibration whose LLRs are decided.
    public let calibration: Calibration
    /// Speech longer than this is embedded in pieces of this length whose windows are pooled,
    /// so a long turn needs no more memory than this much audio.
    public var pieceSeconds = 30.0

    /// Scoring of `models`' d-vectors made by `encoder`, decided by `calibration` (of
    /// `system`, dvector or fusion, for this UBM, front end and encoder).
    public init(
        system: ScoringSystem, encoder: SpeakerEncoder, models: [SpeakerModel], ubm: SpeakerModel?, calibration: Calibration,
        folder: String
    ) throws {
        guard system != .gmm else { throw ScoringError.modelsIncompatible("the GMM system is tracked without the speaker encoder") }
        guard let first = models.first else { throw ScoringError.noModels }
        try calibration.check(
            ubmChecksum: ubm?.checksumHex, frontEnd: first.frontEnd, scoreNormalization: .none, system: system,
            encoder: encoder.identity.checksum, what: "the models in \(folder)")
        self.system = system
        scorer = try DVectorScorer(encoder: encoder, models: models, folder: folder)
        self.calibration = calibration
    }

    /// The rule the decoder's unknown state follows, given the rule segments are decided by
    /// (a threshold on the LLRs this scoring gives): the fusion's GMM part at that threshold,
    /// or a closed set for the d-vector system.
    func decoderRule(_ rule: DecisionRule) -> DecisionRule {
        guard system == .fusion, let gmmPart = calibration.parts?.first, let threshold = rule.threshold else { return .closedSet }
        return DecisionRule(calibration: gmmPart, threshold: threshold, costs: rule.costs)
    }

    /// The window embeddings of a stretch of 16-kHz audio (`SpeakerEncoder.windowEmbeddings(of:)`).
    func windows(of samples: [Float]) -> [[Float]] { scorer.encoder.windowEmbeddings(of: samples).windows }

    /// The decision on a stretch: `windowSum` the sum of its window embeddings (`windows` of
    /// them), `gmmSums` each speaker's summed frame scores over `frames` speech frames.
    func decide(
        windowSum: [Double], windows: Int, gmmSums: [Double], frames: Int, speechSeconds: Double, enrolSeconds: [Double],
        rule: DecisionRule
    ) -> SpeakerDecision {
        let none = SpeakerDecision(outcome: .noSpeech, speaker: nil, bestSpeaker: nil, score: nil, llr: nil, speechSeconds: speechSeconds)
        guard frames > 0, windows > 0, !gmmSums.isEmpty, speechSeconds >= rule.minimumSpeechSeconds else { return none }
        let evidence = SpeechEvidence(
            gmmScoreSums: gmmSums, frames: frames, gmmSeconds: speechSeconds, windowSum: windowSum, windows: windows,
            encoderSeconds: speechSeconds)
        guard let vector = evidence.embedding else { return none }
        let embedding = SpeakerEmbedding(vector: vector, speechSeconds: speechSeconds, windows: windows, encoder: scorer.encoder.identity)
        let cosines = scorer.scores(embedding)
        let llrs = calibration.llrs(
            gmmScores: system == .fusion ? evidence.gmmScores : nil, cosines: cosines, testSeconds: speechSeconds, enrolSeconds: enrolSeconds)
        let best = Identifier.best(llrs)
        let outcome: TrackingOutcome
        if let threshold = rule.threshold {
            outcome = llrs[best] >= threshold ? .accepted : .rejected
        } else {
            outcome = .identified
        }
        return SpeakerDecision(
            outcome: outcome, speaker: outcome == .rejected ? nil : scorer.speakers[best], bestSpeaker: scorer.speakers[best],
            score: gmmSums[best] / Double(frames), llr: llrs[best], speechSeconds: speechSeconds, dvectorScore: cosines[best],
            speakerLLRs: llrs)
    }
}
