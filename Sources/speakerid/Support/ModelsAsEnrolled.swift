import SpeakerID

/// One model per speaker of `entries` (T-norm cohort, held-out threshold and development
/// models), made as the `enrolled` models were. An unusable file fails the command, or
/// with `skipBad` is reported (as `role`) and left out.
func modelsMadeAsEnrolled(
    _ entries: [CorpusEntry], asEnrolled enrolled: [SpeakerModel], ubm: SpeakerModel?,
    raw: RawAudioFormat?, threads: Int, skipBad: Bool, role: String
) async throws -> [SpeakerModel] {
    let made: (models: [SpeakerModel], failures: [FeatureFailure])
    do {
        made = try await Enrollment.models(for: entries, asEnrolled: enrolled, ubm: ubm, raw: raw, threads: threads, skipBad: skipBad)
    } catch {
        throw CLIError("\(error) (\(role))")
    }
    for f in made.failures { Console.warn("skipped (\(role)): \(f.reason)") }
    return made.models
}
