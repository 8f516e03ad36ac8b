/// The verification trials of scored files: every (trial, model) pair of the files of enrolled
/// speakers (or only those of the trial list), as target and non-target score lists for the
/// figures, or one by one for score files.
extension Evaluator {
    /// Target and non-target scores of every (trial, model) pair of labelled files.
    static func verificationScores(
        _ files: [FileTrials], length: TestLength,
        normalize: (FileTrials.Trial) -> [Double]
    ) -> ([Double], [Double]) {
        var tar: [Double] = [], non: [Double] = []
        for f in files {
            guard let truth = f.scoredModel else { continue }
            for t in f.trials(of: length) {
                let s = normalize(t)
                if let listed = f.listed {
                    for (m, isTarget) in listed { if isTarget { tar.append(s[m]) } else { non.append(s[m]) } }
                    continue
                }
                for (m, x) in s.enumerated() {
                    if m == truth { tar.append(x) } else { non.append(x) }
                }
            }
        }
        return (tar, non)
    }

    /// Every (trial, model) pair of the labelled files, in file order, whole file first, then
    /// each segment length in turn, segments in time order, models in `speakers` order.
    static func scoreList(
        _ files: [FileTrials], models: [SpeakerModel], lengths: [Double], frameSeconds: Double,
        normalize: (FileTrials.Trial) -> [Double], decide: ((FileTrials.Trial) -> [Double])?
    ) -> [VerificationScore] {
        var out: [VerificationScore] = []
        for f in files {
            guard let truth = f.scoredModel else { continue }
            for length in TestLength.all(segmentLengths: lengths.count) {
                for t in f.trials(of: length) {
                    let llrs = decide?(t)
                    for (m, s) in normalize(t).enumerated() where f.listed?.contains(where: { $0.model == m }) ?? true {
                        out.append(
                            VerificationScore(
                                path: f.path, seconds: length.seconds(lengths),
                                startSeconds: Double(t.start) * frameSeconds, model: models[m].speaker,
                                speaker: models[truth].speaker, score: s, rawScore: t.scores[m],
                                testSeconds: Double(t.frames) * frameSeconds,
                                enrolSeconds: models[m].training.speechSeconds, llr: llrs?[m]))
                        out[out.count - 1].dvectorScore = t.dvectorScores?[m]
                    }
                }
            }
        }
        return out
    }
}
