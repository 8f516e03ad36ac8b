import Foundation

/// One clip's answer to "who is speaking?": what `identify --json` prints for it and what the
/// server's `POST /v1/identify` returns, made by `ClipIdentification` for both. Its JSON (keys
/// in snake_case) names the speaker (null when nobody is named), the decision, the speech
/// heard, the ranking with calibrated LLRs and posteriors when there is a calibration, and, for
/// a clip with too little speech, the minimum instead of a ranking.
public struct IdentificationAnswer: Sendable, Equatable, Encodable {
    /// One ranked speaker.
    public struct Entry: Sendable, Equatable, Encodable {
        public var speaker: String
        /// The score ranked and decided on without a calibration: the T-normed score when
        /// normalised, else the log-likelihood ratio (GMM), the cosine (d-vector), or the GMM
        /// score (fusion).
        public var score: Double
        /// The log-likelihood ratio before T-norm, when normalised.
        public var rawScore: Double?
        /// The encoder's cosine, beside the GMM score (fusion).
        public var dvectorScore: Double?
        /// The calibrated natural-log LLR and its posterior, with a calibration (or fusion).
        public var llr: Double?
        public var posterior: Double?

        enum CodingKeys: String, CodingKey {
            case speaker, score, llr, posterior
            case rawScore = "raw_score"
            case dvectorScore = "dvector_score"
        }
    }

    /// The clip's name (a path, or the name given to bytes in memory).
    public var file: String
    public var system: ScoringSystem
    /// The decision on the best-ranked speaker.
    public var outcome: DecisionOutcome
    /// Ranked best first, at most the number asked for (never empty); not in the JSON when the
    /// clip is too short.
    public var ranking: [Entry]
    public var speechSeconds: Double
    /// The calibrated LLR of the best-ranked speaker, its posterior and the prior behind it.
    public var llr: Double?
    public var posterior: Double?
    public var prior: Double?
    /// The speech a decision needs (in the JSON of a clip that had less).
    public var minimumSpeechSeconds: Double
    /// The threshold in force; nil in a closed set.
    public var threshold: Double?
    /// Whether the scores are T-normed ("tnorm") or not ("none").
    public var normalized: Bool
    /// Why the answer may be poor (narrow-band audio), when it may.
    public var warning: String?

    /// The speaker named, or nil when nobody is (rejected, too short).
    public var speaker: String? { outcome.namesSpeaker ? ranking[0].speaker : nil }

    enum CodingKeys: String, CodingKey {
        case file, speaker, decision, ranking, llr, posterior, prior, threshold, system, warning
        case speechSeconds = "speech_seconds"
        case minimumSpeechSeconds = "min_speech_seconds"
        case scoreNormalization = "score_normalization"
    }

    /// The JSON `identify --json` prints: `speaker` null when nobody is named; the ranking
    /// and LLR, or the minimum speech when too short.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(speaker, forKey: .speaker)  // null when nobody is named
        try c.encode(outcome.rawValue, forKey: .decision)
        try c.encode(speechSeconds, forKey: .speechSeconds)
        if outcome == .tooShort {
            try c.encode(minimumSpeechSeconds, forKey: .minimumSpeechSeconds)
        } else {
            try c.encode(ranking, forKey: .ranking)
            try c.encodeIfPresent(llr, forKey: .llr)
            try c.encodeIfPresent(posterior, forKey: .posterior)
            try c.encodeIfPresent(prior, forKey: .prior)
        }
        try c.encodeIfPresent(threshold, forKey: .threshold)
        try c.encode(normalized ? "tnorm" : "none", forKey: .scoreNormalization)
        try c.encode(system.rawValue, forKey: .system)
        try c.encodeIfPresent(warning, forKey: .warning)
    }
}

/// One clip's answer to "is this the speaker claimed?": what `verify --json` prints for it and
/// what the server's `POST /v1/verify` returns, made by `ClipVerification` for both.
public struct VerificationAnswer: Sendable, Equatable, Encodable {
    public var file: String
    /// The speaker claimed.
    public var speaker: String
    public var system: ScoringSystem
    public var outcome: DecisionOutcome
    /// The score decided on (T-normed when normalised; the cosine with d-vectors; the GMM
    /// score in a fusion, whose decision is on its LLR).
    public var score: Double
    /// The log-likelihood ratio before T-norm, when normalised.
    public var rawScore: Double?
    /// The encoder's cosine, beside the GMM score (fusion).
    public var dvectorScore: Double?
    /// The threshold decided at (0 for raw log-likelihood ratios without one).
    public var threshold: Double
    public var speechSeconds: Double
    /// The calibrated LLR, its posterior and the prior behind it (a fusion's always, though its
    /// JSON leaves them out when the clip is too short).
    public var llr: Double?
    public var posterior: Double?
    public var prior: Double?
    public var minimumSpeechSeconds: Double
    public var normalized: Bool
    public var warning: String?

    enum CodingKeys: String, CodingKey {
        case file, speaker, score, threshold, accept, decision, llr, posterior, prior, system, warning
        case rawScore = "raw_score"
        case dvectorScore = "dvector_score"
        case speechSeconds = "speech_seconds"
        case minimumSpeechSeconds = "min_speech_seconds"
        case scoreNormalization = "score_normalization"
    }

    /// The JSON `verify --json` prints: `accept`, and a fusion's LLR only when decided.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(file, forKey: .file)
        try c.encode(speaker, forKey: .speaker)
        try c.encode(score, forKey: .score)
        try c.encodeIfPresent(rawScore, forKey: .rawScore)
        try c.encodeIfPresent(dvectorScore, forKey: .dvectorScore)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(outcome == .accepted, forKey: .accept)
        try c.encode(outcome.rawValue, forKey: .decision)
        try c.encode(speechSeconds, forKey: .speechSeconds)
        if !(system == .fusion && outcome == .tooShort) {
            try c.encodeIfPresent(llr, forKey: .llr)
            try c.encodeIfPresent(posterior, forKey: .posterior)
            try c.encodeIfPresent(prior, forKey: .prior)
        }
        if outcome == .tooShort { try c.encode(minimumSpeechSeconds, forKey: .minimumSpeechSeconds) }
        try c.encode(normalized ? "tnorm" : "none", forKey: .scoreNormalization)
        try c.encode(system.rawValue, forKey: .system)
        try c.encodeIfPresent(warning, forKey: .warning)
    }
}

/// What names the speaker of a clip with one of the three systems: the scorer, the decision
/// rule and how many speakers to list. `identify` and the server answer with it.
public struct ClipIdentification: Sendable {
    /// The scorer of a system.
    public enum Scorer: Sendable {
        /// GMM-UBM (or GMMs by EM), T-normed when `normalized`.
        case gmm(ClipScorer, normalized: Bool)
        /// The encoder's cosine with each speaker's d-vector.
        case dvector(DVectorScorer)
        /// Both, fused into calibrated LLRs.
        case fusion(FusedScorer)
    }

    public let scorer: Scorer
    public let rule: DecisionRule
    /// Speakers listed per clip.
    public let top: Int
    /// Seconds of enrolment speech by speaker (calibrations depend on them).
    let enrolSeconds: [String: Double]

    /// The identification of `scorer` with `rule`, listing `top` speakers of `models` (the
    /// enrolled models, for their enrolment speech).
    public init(scorer: Scorer, rule: DecisionRule, top: Int, models: [SpeakerModel]) {
        self.scorer = scorer
        self.rule = rule
        self.top = max(1, top)
        enrolSeconds = Dictionary(models.map { ($0.speaker, $0.training.speechSeconds) }, uniquingKeysWith: { a, _ in a })
    }

    /// The speakers, in the scorer's order.
    public var speakers: [String] {
        switch scorer {
        case .gmm(let s, _): return s.models.map(\.speaker)
        case .dvector(let s): return s.speakers
        case .fusion(let f): return f.gmm.models.map(\.speaker)
        }
    }

    /// The answer for `source`.
    public func answer(_ source: AudioSource, raw: RawAudioFormat? = nil, chunkSeconds: Double = 600) throws -> IdentificationAnswer {
        switch scorer {
        case .gmm(let s, let normalized): return try gmmAnswer(s, normalized: normalized, source, raw: raw, chunkSeconds: chunkSeconds)
        case .dvector(let s): return try dvectorAnswer(s, source, raw: raw)
        case .fusion(let f): return try fusionAnswer(f, source, raw: raw, chunkSeconds: chunkSeconds)
        }
    }

    private func gmmAnswer(
        _ scorer: ClipScorer, normalized: Bool, _ source: AudioSource, raw: RawAudioFormat?, chunkSeconds: Double
    ) throws -> IdentificationAnswer {
        let r = try scorer.scores(source, raw: raw, chunkSeconds: chunkSeconds)
        let enrolled = speakers
        let byName = Dictionary(zip(enrolled, r.decision), uniquingKeysWith: { a, _ in a })
        let options = scorer.frontEnd.options
        let name = source.description
        let speech = Double(r.speechFrames) * options.framing.frameShiftMs / 1000
        // Ranked by what the decision compares with its threshold: the calibrated LLR (which
        // depends on each speaker's enrolment too), else the normalised score, else the raw
        // one; ties keep the raw order. The first is the speaker named.
        let entries = Identifier.rank(speakers: enrolled, scores: r.raw).map { e -> (entry: (SpeakerScore, Double?), llr: Double?) in
            let t = r.normalized == nil ? nil : byName[e.speaker]
            let llr = rule.llr(score: t ?? e.score, speechSeconds: speech, enrolSeconds: enrolSeconds[e.speaker] ?? 0)
            return ((e, t), llr)
        }
        let ordered = entries.enumerated().sorted { a, b in
            let x = a.element.llr ?? a.element.entry.1 ?? a.element.entry.0.score
            let y = b.element.llr ?? b.element.entry.1 ?? b.element.entry.0.score
            return x != y ? x > y : a.offset < b.offset
        }.prefix(top).map(\.element)
        let calibrated = rule.calibration != nil
        let costs = rule.costs
        let ranking = ordered.map { o -> IdentificationAnswer.Entry in
            let (e, t) = o.entry
            let llr = calibrated ? (o.llr ?? 0) : nil
            return IdentificationAnswer.Entry(
                speaker: e.speaker, score: t ?? e.score, rawScore: t == nil ? nil : e.score, dvectorScore: nil,
                llr: llr, posterior: llr.map { costs.posterior(llr: $0) })
        }
        let (best, bestNormalized) = ordered[0].entry
        let decision = rule.decide(score: bestNormalized ?? best.score, speechSeconds: speech, enrolSeconds: enrolSeconds[best.speaker] ?? 0)
        // Reported as frames times the frame shift in seconds (what `identify` has always shown).
        let shown = Double(r.speechFrames) * (options.framing.frameShiftMs / 1000)
        return IdentificationAnswer(
            file: name, system: .gmm, outcome: decision.outcome, ranking: ranking, speechSeconds: shown,
            llr: decision.llr, posterior: decision.llr.map { costs.posterior(llr: $0) }, prior: decision.llr == nil ? nil : costs.prior,
            minimumSpeechSeconds: rule.minimumSpeechSeconds, threshold: rule.threshold, normalized: normalized,
            warning: options.narrowBandWarning(name, sourceRate: r.sourceSampleRate))
    }

    private func dvectorAnswer(_ scorer: DVectorScorer, _ source: AudioSource, raw: RawAudioFormat?) throws -> IdentificationAnswer {
        let e = try scorer.encoder.embedding(of: source, raw: raw)
        // Ranked by what the decision compares: the calibrated LLR (which depends on each
        // speaker's enrolment), else the cosine; ties keep the cosine order.
        let entries = Identifier.rank(speakers: scorer.speakers, scores: scorer.scores(e)).map { r in
            (r, rule.llr(score: r.score, speechSeconds: e.speechSeconds, enrolSeconds: enrolSeconds[r.speaker] ?? 0))
        }
        let ordered = entries.enumerated().sorted { a, b in
            let x = a.element.1 ?? a.element.0.score, y = b.element.1 ?? b.element.0.score
            return x != y ? x > y : a.offset < b.offset
        }.prefix(top).map(\.element)
        let costs = rule.costs
        let best = ordered[0].0
        let decision = rule.decide(score: best.score, speechSeconds: e.speechSeconds, enrolSeconds: enrolSeconds[best.speaker] ?? 0)
        return IdentificationAnswer(
            file: source.description, system: .dvector, outcome: decision.outcome,
            ranking: ordered.map { r, l in
                IdentificationAnswer.Entry(
                    speaker: r.speaker, score: r.score, rawScore: nil, dvectorScore: nil, llr: l, posterior: l.map { costs.posterior(llr: $0) })
            },
            speechSeconds: e.speechSeconds, llr: decision.llr, posterior: decision.llr.map { costs.posterior(llr: $0) },
            prior: decision.llr == nil ? nil : costs.prior, minimumSpeechSeconds: rule.minimumSpeechSeconds, threshold: rule.threshold,
            normalized: false, warning: nil)
    }

    private func fusionAnswer(
        _ fused: FusedScorer, _ source: AudioSource, raw: RawAudioFormat?, chunkSeconds: Double
    ) throws
        -> IdentificationAnswer
    {
        let r = try fused.scores(source, raw: raw, chunkSeconds: chunkSeconds)
        let ordered = r.speakers.enumerated().sorted { a, b in
            a.element.llr != b.element.llr ? a.element.llr > b.element.llr : a.offset < b.offset
        }.prefix(top).map(\.element)
        let costs = rule.costs
        let best = ordered[0]
        let decision = rule.decide(score: best.llr, speechSeconds: r.speechSeconds, enrolSeconds: 0)
        return IdentificationAnswer(
            file: source.description, system: .fusion, outcome: decision.outcome,
            ranking: ordered.map {
                IdentificationAnswer.Entry(
                    speaker: $0.speaker, score: $0.gmm, rawScore: nil, dvectorScore: $0.cosine, llr: $0.llr, posterior: costs.posterior(llr: $0.llr))
            },
            speechSeconds: r.speechSeconds, llr: best.llr, posterior: costs.posterior(llr: best.llr), prior: costs.prior,
            minimumSpeechSeconds: rule.minimumSpeechSeconds, threshold: rule.threshold, normalized: false, warning: nil)
    }
}

/// What decides whether a clip is a claimed speaker's, with one of the three systems: the
/// scorer of that speaker's model alone and the decision rule. `verify` and the server answer
/// with it.
public struct ClipVerification: Sendable {
    public let scorer: ClipIdentification.Scorer
    public let rule: DecisionRule
    /// The claimed speaker's model.
    public let model: SpeakerModel

    /// The verification of `model`'s speaker by `scorer` (which scores that model alone).
    public init(scorer: ClipIdentification.Scorer, rule: DecisionRule, model: SpeakerModel) {
        self.scorer = scorer
        self.rule = rule
        self.model = model
    }

    /// The answer for `source`.
    public func answer(_ source: AudioSource, raw: RawAudioFormat? = nil, chunkSeconds: Double = 600) throws -> VerificationAnswer {
        let costs = rule.costs
        let enrol = model.training.speechSeconds
        let file = source.description
        switch scorer {
        case .gmm(let s, let normalized):
            let r = try s.scores(source, raw: raw, chunkSeconds: chunkSeconds)
            let score = r.decision[0]
            let options = s.frontEnd.options
            let speech = Double(r.speechFrames) * options.framing.frameShiftMs / 1000
            let d = rule.decide(score: score, speechSeconds: speech, enrolSeconds: enrol)
            return VerificationAnswer(
                file: file, speaker: model.speaker, system: .gmm, outcome: d.outcome, score: score,
                rawScore: normalized ? r.raw[0] : nil, dvectorScore: nil, threshold: rule.threshold ?? 0,
                speechSeconds: Double(r.speechFrames) * (options.framing.frameShiftMs / 1000),
                llr: d.llr, posterior: d.llr.map { costs.posterior(llr: $0) }, prior: d.llr == nil ? nil : costs.prior,
                minimumSpeechSeconds: rule.minimumSpeechSeconds, normalized: normalized,
                warning: options.narrowBandWarning(file, sourceRate: r.sourceSampleRate))
        case .dvector(let s):
            let e = try s.encoder.embedding(of: source, raw: raw)
            let d = rule.decide(score: s.scores(e)[0], speechSeconds: e.speechSeconds, enrolSeconds: enrol)
            return VerificationAnswer(
                file: file, speaker: model.speaker, system: .dvector, outcome: d.outcome, score: d.score, rawScore: nil,
                dvectorScore: nil, threshold: rule.threshold ?? 0, speechSeconds: e.speechSeconds,
                llr: d.llr, posterior: d.llr.map { costs.posterior(llr: $0) }, prior: d.llr == nil ? nil : costs.prior,
                minimumSpeechSeconds: rule.minimumSpeechSeconds, normalized: false, warning: nil)
        case .fusion(let f):
            let r = try f.scores(source, raw: raw, chunkSeconds: chunkSeconds)
            let s = r.speakers[0]
            let d = rule.decide(score: s.llr, speechSeconds: r.speechSeconds, enrolSeconds: 0)
            return VerificationAnswer(
                file: file, speaker: model.speaker, system: .fusion, outcome: d.outcome, score: s.gmm, rawScore: nil,
                dvectorScore: s.cosine, threshold: rule.threshold ?? 0, speechSeconds: r.speechSeconds,
                llr: s.llr, posterior: costs.posterior(llr: s.llr), prior: costs.prior,
                minimumSpeechSeconds: rule.minimumSpeechSeconds, normalized: false, warning: nil)
        }
    }
}
