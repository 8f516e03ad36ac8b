import Foundation

extension Enrollment {
    /// One model per speaker of `entries` (in order of first appearance): MAP-adapted from
    /// `ubm` with `map`, or trained by EM without one. Unusable recordings fail the batch, or
    /// with `skipBad` are returned as failures and left out; a speaker left with no usable
    /// recording is left out too (and named among the failures).
    public func models(
        for entries: [CorpusEntry], ubm: SpeakerModel?, map: MAPAdaptation = MAPAdaptation(),
        raw: RawAudioFormat? = nil, threads: Int, skipBad: Bool
    ) async throws -> (models: [SpeakerModel], failures: [FeatureFailure]) {
        let results = try await frontEnd.features(of: entries.map(\.source), raw: raw, threads: threads, skipBad: skipBad)
        var bySpeaker: [String: [SpeechFeatures]] = [:]
        var failures: [FeatureFailure] = []
        for (e, r) in zip(entries, results) {
            switch r {
            case .success(let f): bySpeaker[e.speaker, default: []].append(f)
            case .failure(let f): failures.append(f)
            }
        }
        let speakers = Corpus.speakers(entries)
        for s in speakers where bySpeaker[s] == nil {
            failures.append(FeatureFailure(source: s, reason: "speaker \(s.debugDescription): no usable recording"))
        }
        let usable = speakers.filter { bySpeaker[$0] != nil }
        let grouped = bySpeaker
        let models = try await parallelMap(count: usable.count, threads: threads) { i -> SpeakerModel in
            let f = grouped[usable[i]] ?? []
            if let ubm { return try await adapt(speaker: usable[i], features: f, ubm: ubm, map: map, threads: 1) }
            return try await train(speaker: usable[i], features: f, threads: 1)
        }
        return (models, failures)
    }

    /// One model per speaker of `entries`, made as the `enrolled` models were: the models a
    /// development set or a cohort needs beside them (held-out halves for open-set thresholds
    /// and calibration, T-norm cohort models). With `ubm` (the one `enrolled` were adapted
    /// from), MAP-adapted with the adaptation and EM options the first enrolled model records;
    /// without, trained by EM with its options, at its number of components if every enrolled
    /// model has that many (a fixed order), else at each speaker's own from their amount of
    /// speech (the automatic order). The front end is the enrolled models'. Unusable
    /// recordings as in `models(for:ubm:map:raw:threads:skipBad:)`.
    public static func models(
        for entries: [CorpusEntry], asEnrolled enrolled: [SpeakerModel], ubm: SpeakerModel?,
        raw: RawAudioFormat? = nil, threads: Int, skipBad: Bool
    ) async throws -> (models: [SpeakerModel], failures: [FeatureFailure]) {
        guard let first = enrolled.first else {
            throw ModelError.invalidParameters("there are no enrolled models to make more models like")
        }
        let frontEnd = try FrontEnd(options: first.frontEnd)
        var em = first.training.em
        var order = ModelOrder.fromOptions
        if ubm == nil && Set(enrolled.map(\.gmm.components)).count > 1 {
            em.components = EMOptions().components
            order = .automatic
        }
        let enrollment = try Enrollment(frontEnd: frontEnd, em: em, order: order)
        let map = first.ubm.map(MAPAdaptation.init) ?? MAPAdaptation()
        return try await enrollment.models(for: entries, ubm: ubm, map: map, raw: raw, threads: threads, skipBad: skipBad)
    }

    /// Held-out halves of enrolment recordings, for development trials (open-set thresholds,
    /// calibration): each of `speakers`' recordings alternate, in corpus order, between the
    /// recordings a model is made from and held-out trials; a speaker with one recording
    /// only gives it to the model. Speakers not in `speakers` are left out.
    public static func heldOutHalves(_ entries: [CorpusEntry], speakers: [String]) -> (models: [CorpusEntry], heldOut: [CorpusEntry]) {
        var half: [CorpusEntry] = [], held: [CorpusEntry] = []
        for s in speakers {
            let files = entries.filter { $0.speaker == s }
            for (i, e) in files.enumerated() {
                if i % 2 == 0 || files.count == 1 { half.append(e) } else { held.append(e) }
            }
        }
        return (half, held)
    }
}
