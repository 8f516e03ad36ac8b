import Foundation

/// How many Gaussians a speaker trained by EM gets.
public enum ModelOrder: Sendable, Equatable {
    /// `EMOptions.components`, for every speaker.
    case fromOptions
    /// Each speaker's own, from their amount of speech (`Enrollment.automaticComponents`);
    /// `EMOptions.components` must then be left at its default, so no setting is ignored.
    case automatic
}

/// Turns a speaker's recordings into a speaker model: features of every file, pooled, then EM.
public struct Enrollment: Sendable {
    public var frontEnd: FrontEnd
    public var em: EMOptions
    public let order: ModelOrder

    /// Enrolment with one front end and EM options; with `order: .automatic` each speaker's K
    /// follows their amount of speech. Refuses `.automatic` beside a `components` set in `em`,
    /// which it would otherwise silently ignore.
    public init(frontEnd: FrontEnd, em: EMOptions, order: ModelOrder = .fromOptions) throws(ModelError) {
        if order == .automatic && em.components != EMOptions().components {
            throw .invalidParameters("the model order is automatic, but the EM options ask for \(em.components) components; choose one")
        }
        self.frontEnd = frontEnd
        self.em = em
        self.order = order
    }

    /// Whether each speaker's order follows their amount of speech.
    public var automaticOrder: Bool { order == .automatic }

    /// Speech frames per component the automatic model order aims for.
    public static let framesPerComponent = 25
    public static let automaticRange = 4...128

    /// The model order for `frames` speech frames: the largest power of two with at least
    /// `framesPerComponent` frames (0.25 s of speech) per component, within 4...128. A minute
    /// of read speech (4,000-5,000 speech frames) gets 128, half a minute 64, a few seconds
    /// 4-8. Measured on minilibri, cv-fa and fsdd (README): fixed orders overfit the speakers
    /// with little enrolment audio or underfit those with much.
    public static func automaticComponents(frames: Int) -> Int {
        var k = automaticRange.lowerBound
        while k * 2 <= automaticRange.upperBound && k * 2 * framesPerComponent <= frames { k *= 2 }
        return k
    }

    /// The EM options used for a speaker with `frames` speech frames.
    public func options(frames: Int) -> EMOptions {
        var o = em
        if automaticOrder { o.components = Self.automaticComponents(frames: frames) }
        return o
    }

    /// Seconds of speech (after the VAD) below which a MAP-adapted speaker is worth a warning.
    /// Measured on cv-fa (README, `Tests/Benchmarks/ubm.sh cv-fa`): with T-norm, the 2-s
    /// verification EER against models enrolled on 10 s of speech or more is about 1%, against
    /// those enrolled on 5-10 s about 5%, and under 5 s about 11%. Short enrolment, not the
    /// test clip, is what most of the errors there come from.
    public static let recommendedSpeechSeconds = 10.0

    /// Seconds of speech in `frames` speech frames.
    public func speechSeconds(frames: Int) -> Double { Double(frames) * frontEnd.options.framing.frameShiftMs / 1000 }

    /// Whether `frames` speech frames give the model's order fewer than `framesPerComponent`
    /// frames per component (the minimum the automatic order keeps to).
    public func tooFewFrames(_ frames: Int) -> Bool { frames < options(frames: frames).components * Self.framesPerComponent }

    /// Seconds of speech below which no speaker is enrolled, unless the caller sets another
    /// minimum: 100 frames at the default 10-ms hop, the `framesPerComponent` frames of each
    /// of the smallest automatic order's 4 components. A 50-ms clip (4 frames) was enrolled
    /// before there was a minimum.
    public static let defaultMinimumSpeechSeconds = 1.0

    /// Refuses `speaker` when `frames` speech frames hold less than `minimumSeconds` of speech.
    public func checkSpeech(speaker: String, frames: Int, minimumSeconds: Double) throws(EnrollmentError) {
        let seconds = speechSeconds(frames: frames)
        if seconds < minimumSeconds { throw .tooLittleSpeech(speaker, seconds: seconds, minimum: minimumSeconds) }
    }

    /// Normalised speech frames of each file, pooled in file order.
    public func trainingFrames(_ features: [SpeechFeatures]) -> FeatureMatrix? {
        FeatureMatrix.concatenate(features.map { frontEnd.normalized($0.frames) })
    }

    /// Trains one speaker's model from already-extracted features.
    public func train(speaker: String, features: [SpeechFeatures], threads: Int) async throws(EnrollmentError) -> SpeakerModel {
        guard let frames = trainingFrames(features) else { throw .model(speaker, .notEnoughFrames(frames: 0, components: em.components)) }
        let em = options(frames: frames.rows)
        let result = try await Self.runEM(em, on: frames, threads: threads) { .model(speaker, $0) }
        let info = TrainingInfo(
            frames: frames.rows,
            speechSeconds: speechSeconds(frames: frames.rows),
            files: features.count, iterations: result.iterations, converged: result.converged,
            finalLogLikelihood: result.finalLogLikelihood, seed: em.seed, em: em,
            sources: sources(features))
        return SpeakerModel(speaker: speaker, gmm: result.model, frontEnd: frontEnd.options, training: info)
    }

    /// A universal background model of `components` Gaussians trained by EM on the pooled
    /// frames of many speakers' recordings (the enrolment's EM options otherwise), as
    /// `speakerid train-ubm` trains one; ready to adapt speakers from and score against
    /// without being written to a file.
    public func trainBackground(features: [SpeechFeatures], components: Int, threads: Int) async throws(EnrollmentError) -> SpeakerModel {
        var options = em
        options.components = components
        guard let frames = trainingFrames(features) else { throw .background(.notEnoughFrames(frames: 0, components: components)) }
        let result = try await Self.runEM(options, on: frames, threads: threads) { .background($0) }
        let info = TrainingInfo(
            frames: frames.rows, speechSeconds: speechSeconds(frames: frames.rows), files: features.count,
            iterations: result.iterations, converged: result.converged,
            finalLogLikelihood: result.finalLogLikelihood, seed: options.seed, em: options)
        var ubm = SpeakerModel(speaker: "UBM", gmm: result.model, frontEnd: frontEnd.options, training: info)
        ubm.kind = .ubm
        return ubm
    }

    /// MAP-adapts `ubm` to one speaker's features (Reynolds 2000). The front end must be the
    /// UBM's.
    public func adapt(
        speaker: String, features: [SpeechFeatures], ubm: SpeakerModel, map: MAPAdaptation,
        threads: Int
    ) async throws(EnrollmentError) -> SpeakerModel {
        guard ubm.frontEnd == frontEnd.options else {
            throw .otherFrontEnd(speaker, "the UBM's differs: " + FrontEndOptions.differences(ubm.frontEnd, frontEnd.options))
        }
        guard let frames = trainingFrames(features), frames.rows > 0 else {
            throw .model(speaker, .notEnoughFrames(frames: 0, components: ubm.gmm.components))
        }
        let stats = EnrollmentStatistics(try await Self.statistics(ubm, frames, speaker: speaker, threads: threads), frames: frames)
        return try adapted(speaker: speaker, statistics: stats, ubm: ubm, map: map, files: features.count, sources: sources(features))
    }

    /// EM on frames in memory, its errors as the enrolment's (`failure` says whose model).
    private static func runEM(
        _ options: EMOptions, on frames: FeatureMatrix, threads: Int,
        failure: (ModelError) -> EnrollmentError
    ) async throws(EnrollmentError) -> TrainingResult {
        do { return try await EMTrainer(options: options).train(frames, threads: threads) } catch {
            throw wrap(error, failure)
        }
    }

    /// The E-step statistics of `speaker`'s frames (in memory) under `ubm`.
    private static func statistics(
        _ ubm: SpeakerModel, _ frames: FeatureMatrix, speaker: String,
        threads: Int
    ) async throws(EnrollmentError) -> GMMStatistics {
        do { return try await EMTrainer.statistics(ubm.gmm, frames, threads: threads) } catch {
            throw wrap(error) { .model(speaker, $0) }
        }
    }

    /// An error of EM on frames in memory: the model's, or (frames in memory are never read
    /// from anywhere that can fail) the cancellation of the task.
    private static func wrap(_ error: any Error, _ failure: (ModelError) -> EnrollmentError) -> EnrollmentError {
        if let e = error as? ModelError { return failure(e) }
        return .cancelled
    }

    /// The model MAP adaptation of `ubm` gives for `statistics`, recording them for later additions.
    func adapted(
        speaker: String, statistics stats: EnrollmentStatistics, ubm: SpeakerModel, map: MAPAdaptation,
        files: Int, sources: [EnrolledFile]?
    ) throws(EnrollmentError) -> SpeakerModel {
        let floor = stats.columnVariances.map { max(Float($0) * Float(em.varianceFloor), 1e-6) }
        let g = stats.gmmStatistics
        let gmm: DiagGMM
        do { gmm = try map.adapt(ubm.gmm, statistics: g, varianceFloor: floor) } catch { throw .model(speaker, error) }
        var options = em
        options.components = ubm.gmm.components
        let info = TrainingInfo(
            frames: stats.frames,
            speechSeconds: speechSeconds(frames: stats.frames),
            files: files, iterations: 0, converged: true,
            finalLogLikelihood: g.averageLogLikelihood, seed: em.seed, em: options,
            sources: sources)
        var model = SpeakerModel(speaker: speaker, gmm: gmm, frontEnd: frontEnd.options, training: info)
        model.ubm = UBMReference(
            checksum: ubm.checksumHex, components: ubm.gmm.components,
            relevance: map.relevance, adapted: map.code)
        model.enrolment = stats
        return model
    }

    /// `model` with `features` added: their statistics under `ubm` are added to those the
    /// model keeps and the UBM is adapted again with the model's own MAP options, so the result
    /// is the model enrolling on all the audio at once would give, to rounding. Models trained
    /// by EM, or enrolled before SpeakerID kept statistics, cannot take audio this way.
    public func add(
        _ features: [SpeechFeatures], to model: SpeakerModel, ubm: SpeakerModel, threads: Int
    ) async throws(EnrollmentError) -> SpeakerModel {
        guard let ref = model.ubm else { throw .trainedByEM(model.speaker) }
        guard ref.matches(ubm) else { throw .otherUBM(model.speaker) }
        guard let old = model.enrolment else { throw .noStatistics(model.speaker) }
        guard ubm.frontEnd == frontEnd.options, model.frontEnd == frontEnd.options else {
            throw .otherFrontEnd(model.speaker, FrontEndOptions.differences(model.frontEnd, frontEnd.options))
        }
        guard let frames = trainingFrames(features), frames.rows > 0 else {
            throw .model(model.speaker, .notEnoughFrames(frames: 0, components: ubm.gmm.components))
        }
        let added = EnrollmentStatistics(try await Self.statistics(ubm, frames, speaker: model.speaker, threads: threads), frames: frames)
        return try adapted(
            speaker: model.speaker, statistics: old.adding(added), ubm: ubm, map: MAPAdaptation(ref),
            files: model.training.files + features.count,
            sources: (model.training.sources ?? []) + (sources(features) ?? []))
    }

    /// Records of the recordings behind `features` that are files (name, checksum, speech).
    func sources(_ features: [SpeechFeatures]) -> [EnrolledFile]? {
        features.map { f in
            FileManager.default.fileExists(atPath: f.name)
                ? EnrolledFile(path: f.name, speechSeconds: speechSeconds(frames: f.frames.rows))
                : EnrolledFile(name: f.name, speechSeconds: speechSeconds(frames: f.frames.rows))
        }
    }
}

/// Why a speaker (named in every case but the last two) could not be enrolled, or audio
/// could not be added to their model.
public enum EnrollmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Audio cannot be added exactly to a model trained by EM.
    case trainedByEM(String)
    /// The model was adapted from another UBM than the one given.
    case otherUBM(String)
    /// The model keeps no enrolment statistics to add to.
    case noStatistics(String)
    /// The speaker's features (or model) were made with another front end; the differences.
    case otherFrontEnd(String, String)
    /// The speaker's model could not be trained or adapted (too little speech, say).
    case model(String, ModelError)
    /// The background model could not be trained.
    case background(ModelError)
    /// The task was cancelled before the model was made.
    case cancelled
    /// The speaker's audio holds less speech (seconds, after the speech-activity detection)
    /// than the minimum.
    case tooLittleSpeech(String, seconds: Double, minimum: Double)

    public var description: String {
        switch self {
        case .model(let s, let e): return "speaker \(s.debugDescription): \(e)"
        case .background(let e): return "background model: \(e)"
        case .cancelled: return "enrolment was cancelled"
        case .tooLittleSpeech(let s, let seconds, let minimum):
            return
                "speaker \(s.debugDescription) has only \(String(format: "%.2f", seconds)) s of speech (after the speech-activity detection), less than the \(String(format: "%g", minimum)) s needed to enrol; add audio of the speaker"
        case .trainedByEM(let s):
            return
                "speaker \(s.debugDescription) was trained by EM, which cannot take more audio exactly; enrol the speaker again with all the recordings (the model lists the ones it has)"
        case .otherUBM(let s): return "speaker \(s.debugDescription) was adapted from another UBM"
        case .noStatistics(let s):
            return
                "speaker \(s.debugDescription) was enrolled by an older SpeakerID that kept no enrolment statistics; enrol the speaker again with all the recordings"
        case .otherFrontEnd(let s, let d): return "speaker \(s.debugDescription) was enrolled with another front end (\(d))"
        }
    }
}
