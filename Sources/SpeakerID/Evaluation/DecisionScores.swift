/// The decision score of a trial inside an evaluation: the raw scores normalised (Z-norm from
/// the cohort's utterances per test length, T-norm from each trial's cohort-model scores,
/// S-norm their mean), then calibrated to LLRs when the evaluation has a calibration.
extension Evaluator {
    /// The score normalisation of a trial: Z-norm with `znorm`'s per-length moments of each
    /// model, T-norm with the trial's cohort-model scores (a cohort model named like the model
    /// being normalised is left out), S-norm their mean.
    static func normalizer(
        _ mode: ScoreNormalizationMode, znorm: [TestLength: [ScoreMoments]],
        tnorm: TNorm?
    ) -> @Sendable (FileTrials.Trial) -> [Double] {
        let z: @Sendable (FileTrials.Trial) -> [Double] = { t in
            guard let m = znorm[t.length] else { return t.scores }
            return t.scores.enumerated().map { m[$0.offset].apply($0.element) }
        }
        let tn: @Sendable (FileTrials.Trial) -> [Double] = { t in
            guard let tnorm, let c = t.cohort else { return t.scores }
            return tnorm.normalize(t.scores, cohortScores: c)
        }
        switch mode {
        case .none: return { $0.scores }
        case .znorm: return z
        case .tnorm: return tn
        case .snorm: return { t in zip(z(t), tn(t)).map { ($0 + $1) / 2 } }
        }
    }

    /// `normalize` followed by the calibration, if any: each model's score mapped to an LLR
    /// with the trial's and the model's speech durations.
    func calibrated(
        _ normalize: @escaping @Sendable (FileTrials.Trial) -> [Double],
        models: [SpeakerModel], calibration: Calibration? = nil
    ) -> @Sendable (FileTrials.Trial) -> [Double] {
        guard let cal = calibration ?? self.calibration else { return normalize }
        let enrol = models.map(\.training.speechSeconds)
        let shift = identifier.frontEnd.options.framing.frameShiftMs / 1000
        if cal.system == .fusion {
            // Each model's fused LLR of its GMM score and its d-vector cosine.
            return { t in
                let test = Double(t.frames) * shift
                let cosines = t.dvectorScores ?? []
                return normalize(t).enumerated().map { m, s in
                    cal.llr(gmmScore: s, dvectorScore: m < cosines.count ? cosines[m] : 0, testSeconds: test, enrolSeconds: enrol[m])
                }
            }
        }
        return { t in
            let test = Double(t.frames) * shift
            return normalize(t).enumerated().map { cal.llr(score: $0.element, testSeconds: test, enrolSeconds: enrol[$0.offset]) }
        }
    }

    /// The T-norm of `models` over the cohort models when the mode uses T-norm; refuses a
    /// missing or too small cohort before any scoring.
    func tNorm(models: [String]) throws(EvaluationError) -> TNorm? {
        guard scoreNormalization.usesTNorm else { return nil }
        guard let c = cohortModels else { throw .noCohort }
        do { return try TNorm(cohort: c.speakers, models: models) } catch { throw .scoreNormalization(error.description) }
    }

    /// Z-norm needs every model's impostor moments at every test length: a length the cohort
    /// cannot supply would otherwise leave raw scores among normalised ones.
    func checkZStatistics(_ z: [TestLength: [ScoreMoments]]) throws(EvaluationError) {
        for length in TestLength.all(segmentLengths: segmentSeconds.count) where z[length] == nil {
            let what = length.seconds(segmentSeconds).map { "\($0)-s segments" } ?? "whole files"
            throw .scoreNormalization(
                "Z-norm: the cohort gives some model fewer than 2 usable \(what) of other speakers; use a cohort with more (or longer) files, or other segment lengths"
            )
        }
    }

    /// Per test length, each model's impostor-score moments over the cohort files not of its
    /// own speaker.
    static func zStatistics(_ files: [FileTrials], speakers: [String], models: [String], lengths: Int) -> [TestLength: [ScoreMoments]] {
        var out: [TestLength: [ScoreMoments]] = [:]
        for length in TestLength.all(segmentLengths: lengths) {
            var complete = true
            let moments = models.enumerated().map { (m, name) -> ScoreMoments in
                let scores = zip(files, speakers).filter { $0.0.error == nil && $0.1 != name }
                    .flatMap { $0.0.trials(of: length).map { $0.scores[m] } }
                if scores.count < 2 { complete = false }
                return ScoreMoments(scores)
            }
            if complete { out[length] = moments }
        }
        return out
    }

    /// The Z-norm statistics of `id`'s models over the cohort files (scored without progress
    /// reports when `counter` is nil), refused when a test length lacks them, and the cohort
    /// files that could not be used.
    func zNorm(models id: Identifier, counter: ProgressCounter?) async throws -> (statistics: [TestLength: [ScoreMoments]], unusable: [FileTrials]) {
        let cohort = try await trials(cohortFiles.map { (.impostor, $0.source) }, id: id, counter: counter)
        let z = Self.zStatistics(cohort, speakers: cohortFiles.map(\.speaker), models: id.speakers, lengths: segmentSeconds.count)
        try checkZStatistics(z)
        return (z, cohort.filter { $0.error != nil })
    }
}
