import Foundation

extension Enrollment {
    /// One model per speaker of `entries` (in order of first appearance): MAP-adapted from
    /// `ubm` with `map`, or trained by EM without one. Unusable recordings fail the batch, or
    /// with `skipBad` are returned as failures and left out; a speaker left with no usable
    /// recording is left out too (and named among the failures).
    public func models(for entries: [CorpusEntry], ubm: SpeakerModel?, map: MAPAdaptation = MAPAdaptation(),
                       raw: RawAudioFormat? = nil, threads: Int, skipBad: Bool) async throws -> (models: [SpeakerModel], failures: [FeatureFailure]) {
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
