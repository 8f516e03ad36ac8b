import ArgumentParser
import SpeakerID

/// T-norm at decision time for `identify` and `verify`.
struct TNormArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "With --ubm: T-norm each clip's scores against the models in this folder, speakers who are not enrolled, adapted from the same UBM with the same enroll options (a model named like an enrolled one is left out of its own normalisation). --threshold then applies to T-normed scores, as 'evaluate --score-norm tnorm' reports them.",
            valueName: "dir"))
    var tnormModels: String?

    /// The cohort models, checked against the UBM (whose front end the enrolled models share).
    func load(ubm: SpeakerModel?) throws -> [SpeakerModel]? {
        guard let tnormModels else { return nil }
        guard let ubm else { throw CLIError("--tnorm-models needs --ubm") }
        return try ModelStore(directory: tnormModels).loadAll(ubm: ubm)
    }

    /// A scorer of `models`, T-normed by the cohort when one is given, and the cohort's
    /// checksum (`ScoreSystem.checksum(models:)`, which a calibration must have been trained with).
    func scorer(models: [SpeakerModel], ubm: SpeakerModel?, topC: Int) throws -> (scorer: ClipScorer, cohort: String?) {
        let cohort = try load(ubm: ubm)
        do {
            return (try ClipScorer(models: models, ubm: ubm, cohort: cohort, topC: topC), cohort.map { ScoreSystem.checksum(models: $0) })
        } catch let e as ScoreNormalizationError {
            throw CLIError("\(tnormModels ?? ""): \(e)")
        }
    }
}
