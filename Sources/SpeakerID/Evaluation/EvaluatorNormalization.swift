import Foundation

/// Score normalisation inside an evaluation: Z-norm from the cohort's utterances per test
/// length, T-norm from each trial's cohort-model scores, S-norm their mean.
extension Evaluator {
    /// The score normalisation of a trial: Z-norm with `znorm`'s per-length moments of each
    /// model, T-norm with the trial's cohort-model scores (a cohort model named like the model
    /// being normalised is left out), S-norm their mean.
    static func normalizer(_ mode: ScoreNormalizationMode, znorm: [Int: [ScoreMoments]],
                           tnorm: TNorm?) -> @Sendable (FileTrials.Trial) -> [Double] {
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

    /// The T-norm of `models` over the cohort models when the mode uses T-norm; refuses a
    /// missing or too small cohort before any scoring.
    func tNorm(models: [String]) throws(EvaluationError) -> TNorm? {
        guard scoreNormalization.usesTNorm else { return nil }
        guard let c = cohortModels else { throw .noCohort }
        do { return try TNorm(cohort: c.speakers, models: models) } catch { throw .scoreNormalization(error.description) }
    }

    /// Z-norm needs every model's impostor moments at every test length: a length the cohort
    /// cannot supply would otherwise leave raw scores among normalised ones.
    func checkZStatistics(_ z: [Int: [ScoreMoments]]) throws(EvaluationError) {
        for j in -1..<segmentSeconds.count where z[j] == nil {
            let what = j < 0 ? "whole files" : "\(segmentSeconds[j])-s segments"
            throw .scoreNormalization("Z-norm: the cohort gives some model fewer than 2 usable \(what) of other speakers; use a cohort with more (or longer) files, or other segment lengths")
        }
    }

    /// Per test length, each model's impostor-score moments over the cohort files not of its
    /// own speaker.
    static func zStatistics(_ files: [FileTrials], speakers: [String], models: [String], lengths: Int) -> [Int: [ScoreMoments]] {
        var out: [Int: [ScoreMoments]] = [:]
        for j in -1..<lengths {
            var complete = true
            let moments = models.enumerated().map { (m, name) -> ScoreMoments in
                let scores = zip(files, speakers).filter { $0.0.error == nil && $0.1 != name }
                    .flatMap { $0.0.trials.filter { $0.length == j }.map { $0.scores[m] } }
                if scores.count < 2 { complete = false }
                return ScoreMoments(scores)
            }
            if complete { out[j] = moments }
        }
        return out
    }
}
