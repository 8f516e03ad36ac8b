/// One speaker's score for a clip.
public struct SpeakerScore: Sendable, Equatable {
    public var speaker: String
    /// Average per-frame log-likelihood (no UBM), or average log-likelihood ratio against the UBM.
    public var score: Double
}

/// Scores clips against a set of speaker models.
///
/// Without a UBM: closed-set identification as in Reynolds & Rose (1995), the score being the
/// average per-frame log-likelihood. With a UBM (models MAP-adapted from it): the average
/// log-likelihood ratio against the UBM (Reynolds, Quatieri & Dunn 2000), with top-C fast
/// scoring; the same scores then serve verification and open-set decisions by threshold.
public struct Identifier: Sendable {
    public let models: [SpeakerModel]
    public let frontEnd: FrontEnd
    public let ubm: SpeakerModel?
    let ubmScorer: UBMScorer?

    /// Checks the models share one front end (and the UBM's).
    public init(models: [SpeakerModel], ubm: SpeakerModel? = nil, topC: Int = 5) throws(ScoringError) {
        guard let first = models.first else { throw .noModels }
        for m in models where m.frontEnd != first.frontEnd {
            throw .otherFrontEnd(m.speaker, first.speaker, FrontEndOptions.differences(first.frontEnd, m.frontEnd))
        }
        if let ubm {
            guard ubm.frontEnd == first.frontEnd else {
                throw .ubmFrontEnd(FrontEndOptions.differences(ubm.frontEnd, first.frontEnd))
            }
            let identity = UBMIdentity(ubm)
            for m in models where !(m.ubm?.matches(identity) ?? false) {
                throw .notAdaptedFromUBM(m.speaker, identity.checksumHex)
            }
            do { ubmScorer = try UBMScorer(ubm: ubm.gmm, speakers: models.map(\.gmm), topC: topC) } catch { throw .model(error) }
        } else {
            ubmScorer = nil
        }
        self.models = models
        self.ubm = ubm
        do { self.frontEnd = try FrontEnd(options: first.frontEnd) } catch { throw .frontEnd(error) }
    }

    public var speakers: [String] { models.map(\.speaker) }

    /// Per-frame scores, `result[model][frame]`, of frames already normalised.
    public func frameScores(_ frames: FeatureMatrix) -> [[Double]] {
        if let ubmScorer { return ubmScorer.frameScores(frames) }
        return DiagGMM.frameLogLikelihoods(models.map(\.gmm), frames)
    }

    /// The score of every model, in model order, for frames already normalised.
    public func scores(_ frames: FeatureMatrix) -> [Double] {
        if let ubmScorer { return ubmScorer.scores(frames) }
        return frameScores(frames).map { $0.isEmpty ? -.infinity : $0.reduce(0, +) / Double($0.count) }
    }

    /// Scores sorted best first.
    public func ranking(_ frames: FeatureMatrix) -> [SpeakerScore] {
        Self.rank(speakers: speakers, scores: scores(frames))
    }

    /// Speakers paired with their scores, best first (ties by name).
    public static func rank(speakers: [String], scores: [Double]) -> [SpeakerScore] {
        zip(speakers, scores).map { SpeakerScore(speaker: $0, score: $1) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.speaker < $1.speaker }
    }

    /// The enrolled speakers ranked for a recording, best first (read in chunks, see
    /// `scoreStreaming`).
    public func identify(_ source: AudioSource, raw: RawAudioFormat? = nil) throws(ScoringError) -> [SpeakerScore] {
        try identifyStreaming(source, raw: raw).ranking
    }

    /// One enrolled speaker's score for a recording: with a UBM the average log-likelihood
    /// ratio a verification decides on.
    public func score(_ source: AudioSource, speaker: String, raw: RawAudioFormat? = nil) throws(ScoringError) -> Double {
        guard let i = speakers.firstIndex(of: speaker) else {
            throw .unknownSpeaker(speaker, enrolled: speakers)
        }
        return try scoreStreaming(source, raw: raw).scores[i]
    }

    /// Identifies the speaker of raw (not yet normalised) speech frames.
    public func identify(_ features: SpeechFeatures) -> [SpeakerScore] {
        ranking(frontEnd.normalized(features.frames))
    }

    /// A recording's score under every model, read in chunks of `chunkSeconds` (each
    /// normalised on its own) so memory stays bounded however long it is. Recordings shorter
    /// than a chunk score exactly as `identify`. Returns the ranking, the speech frames used,
    /// the duration in seconds and the audio's own sample rate (see
    /// `FrontEndOptions.lacksBand`).
    public func identifyStreaming(
        _ source: AudioSource, raw: RawAudioFormat? = nil,
        chunkSeconds: Double = 600
    ) throws(ScoringError) -> (ranking: [SpeakerScore], speechFrames: Int, duration: Double, sourceSampleRate: Int) {
        let r = try scoreStreaming(source, raw: raw, chunkSeconds: chunkSeconds)
        return (Self.rank(speakers: speakers, scores: r.scores), r.speechFrames, r.duration, r.sourceSampleRate)
    }

    /// Every model's score for a recording, in model order, read in chunks as
    /// `identifyStreaming` reads it (the score is the frame-weighted mean over chunks).
    public func scoreStreaming(
        _ source: AudioSource, raw: RawAudioFormat? = nil,
        chunkSeconds: Double = 600
    ) throws(ScoringError) -> (scores: [Double], speechFrames: Int, duration: Double, sourceSampleRate: Int) {
        var sums = [Double](repeating: 0, count: models.count)
        var frames = 0
        let read: (chunks: Int, duration: Double, sourceSampleRate: Int)
        do {
            read = try frontEnd.forEachChunk(of: source, raw: raw, chunkSeconds: chunkSeconds) { chunk in
                let s = scores(frontEnd.normalized(chunk.frames))
                for i in sums.indices { sums[i] += s[i] * Double(chunk.frames.rows) }
                frames += chunk.frames.rows
            }
        } catch {
            throw .recording(error)
        }
        let (duration, sourceRate) = (read.duration, read.sourceSampleRate)
        return (sums.map { $0 / Double(max(frames, 1)) }, frames, duration, sourceRate)
    }

    /// Index of the best score (ties go to the first model).
    public static func best(_ scores: [Double]) -> Int {
        var b = 0
        for i in scores.indices where scores[i] > scores[b] { b = i }
        return b
    }
}

/// Why a set of models cannot be scored together.
public enum ScoringError: Error, Equatable, Sendable, CustomStringConvertible {
    case noModels
    case otherFrontEnd(String, String, String)
    case ubmFrontEnd(String)
    case notAdaptedFromUBM(String, String)
    case unknownSpeaker(String, enrolled: [String])
    /// A models folder the d-vector system cannot score against (a speaker without a d-vector,
    /// or one made by another encoder); the message names the speaker.
    case modelsIncompatible(String)
    case model(ModelError)
    /// The models' front end cannot be set up.
    case frontEnd(FeatureError)
    /// A recording could not be scored: unreadable, or no speech (the error names it).
    case recording(FeatureError)

    public var description: String {
        switch self {
        case .noModels: return "no speaker models to score against"
        case .otherFrontEnd(let s, let first, let d):
            return
                "speaker \(s.debugDescription) was enrolled with another front end than \(first.debugDescription) (\(d)); models can only be compared when their features are made the same way"
        case .ubmFrontEnd(let d): return "the UBM's front end differs from the models' (\(d))"
        case .notAdaptedFromUBM(let s, let c): return "speaker \(s.debugDescription) was not adapted from this UBM (checksum \(c))"
        case .unknownSpeaker(let s, let e):
            return
                "speaker \(s.debugDescription) is not among the models (\(e.prefix(10).map(\.debugDescription).joined(separator: ", "))\(e.count > 10 ? ", ..." : ""))"
        case .modelsIncompatible(let m): return m
        case .model(let e): return e.description
        case .frontEnd(let e): return e.description
        case .recording(let e): return e.description
        }
    }
}
