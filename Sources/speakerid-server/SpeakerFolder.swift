import Foundation
import SpeakerID

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the server decides with: the models folder, the UBM the speakers are adapted from, an
/// optional calibration, and the decision settings `identify` and `verify` take as options.
struct ServerSettings: Sendable {
    var models: String
    var ubmPath: String
    var calibrationPath: String?
    /// What decides: GMM-UBM, the speaker encoder's d-vectors, or both fused (the encoder and
    /// a calibration of that system needed for the last two).
    var system = ScoringSystem.gmm
    /// The speaker encoder: scores with --system dvector and fusion, and gives enrolments
    /// their d-vectors (nil: none, and speakers enrolled here have none).
    var encoderPath: String?
    /// Whether a speaker encoder that does not load stops the server (else: a warning, and
    /// none); true unless it is the default encoder of a gmm server.
    var encoderRequired = true
    var threshold: Double?
    var top = 5
    var topC = 5
    var minimumSpeechSeconds = DecisionRule.defaultMinimumSpeechSeconds
    var costs = DecisionCosts()
    /// Limits: bytes of one request body, seconds of one recording, requests at once.
    var maxBodyBytes = 64 << 20
    var maxAudioSeconds = 600.0
    var maxConcurrentRequests = 64
    /// HTTP connections open at once (429 beyond).
    var maxConnections = 256
    /// A connection that has not sent a whole request head this long after it opened is closed.
    var headerTimeoutSeconds = 30.0
    /// Live streams at once (429 beyond), and the longest one.
    var maxStreams = 16
    var maxStreamSeconds = 14_400.0
    /// A stream sending nothing this long is closed.
    var streamIdleSeconds = 30.0
    /// `POST /v1/track`: recordings longer than this become jobs; jobs waiting or running at most.
    var trackJobSeconds = 60.0
    var maxJobs = 8
}

/// When the models folder last changed: its modification and status-change times and inode,
/// which every atomic model write, rename and removal (the CLI's or the server's) changes.
struct FolderGeneration: Equatable, Sendable {
    var exists: Bool
    var modified: [Int]

    static func of(_ directory: String) -> FolderGeneration {
        var st = stat()
        guard stat(directory, &st) == 0 else { return FolderGeneration(exists: false, modified: []) }
        #if canImport(Darwin)
        let m = st.st_mtimespec, c = st.st_ctimespec
        #else
        let m = st.st_mtim, c = st.st_ctim
        #endif
        return FolderGeneration(exists: true, modified: [Int(m.tv_sec), Int(m.tv_nsec), Int(c.tv_sec), Int(c.tv_nsec), Int(st.st_ino)])
    }
}

/// Serialises the server's own changes to the folder (the folder lock is per process, so
/// it keeps other processes out but not another request of this one).
actor SerialQueue {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await body()
    }
}

/// A speaker as `GET /v1/speakers` lists them (the keys of `speakers list --json`).
struct SpeakerEntry: Sendable, Encodable {
    var speaker: String
    var speechSeconds: Double
    var files: Int
    var kind: String
    var enrolledAt: String

    enum CodingKeys: String, CodingKey {
        case speaker, files, kind
        case speechSeconds = "speech_seconds"
        case enrolledAt = "enrolled_at"
    }
}

/// What enrolment did: the speaker's model after it.
struct EnrolmentResult: Sendable, Encodable {
    var speaker: String
    /// True when the speaker was new, false when the audio was added to their model.
    var created: Bool
    var speechSeconds: Double
    var addedSpeechSeconds: Double
    var files: Int
    var frames: Int
    /// Whether the speaker has a d-vector (the speaker encoder's) after it.
    var dvector: Bool
    /// What the caller should know (a d-vector that could not be made).
    var warning: String?

    enum CodingKeys: String, CodingKey {
        case speaker, created, files, frames, dvector, warning
        case speechSeconds = "speech_seconds"
        case addedSpeechSeconds = "added_speech_seconds"
    }
}

/// The models folder as the server sees it: loaded once, loaded again whenever the folder
/// changed (by the CLI or by the server), enrolled into, renamed in and removed from through
/// the library's `ModelStore` under its folder lock, as `speakerid enroll --add` and
/// `speakerid speakers` do.
final class SpeakerFolder: @unchecked Sendable {
    // @unchecked: `loaded` is only touched under `lock`; everything else is immutable.
    let settings: ServerSettings
    let store: ModelStore
    let ubm: SpeakerModel
    let calibration: Calibration?
    let frontEnd: FrontEnd
    let encoder: SpeakerEncoder?
    private let lock = NSLock()
    private var loaded: Loaded?
    private typealias Loaded = (generation: FolderGeneration, state: FolderState, problem: String?)

    /// The enrolled models, and what identifies and tracks them (nil when nobody is enrolled,
    /// or when the server's system cannot score them: `scoringProblem` says why, and listing,
    /// verifying other speakers, renaming and removing still work).
    struct FolderState: Sendable {
        var models: [SpeakerModel] = []
        var identification: ClipIdentification?
        var tracking: Tracking?
        var scoringProblem: String?

        /// The identification; 409 when nobody is enrolled or the folder cannot be scored.
        func identifying() throws(APIError) -> ClipIdentification {
            if let p = scoringProblem { throw APIError.conflict(p) }
            guard let identification else {
                throw APIError.conflict("no speakers are enrolled yet: enrol one with POST /v1/speakers/{name}/audio")
            }
            return identification
        }

        /// The tracking; 409 as `identifying()`.
        func tracked() throws(APIError) -> Tracking {
            if let p = scoringProblem { throw APIError.conflict(p) }
            guard let tracking else {
                throw APIError.conflict("no speakers are enrolled yet: enrol one with POST /v1/speakers/{name}/audio")
            }
            return tracking
        }
    }

    /// What tracks the enrolled speakers: the GMM decoder's identifier, and with the d-vector
    /// or fused system what decides its segments.
    struct Tracking: Sendable {
        var identifier: Identifier
        var encoderScoring: EncoderSegmentScoring?
    }
    private let changes = SerialQueue()

    /// Why the server cannot start with these settings.
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    init(settings: ServerSettings) throws(StartError) {
        self.settings = settings
        store = ModelStore(directory: settings.models)
        do {
            ubm = try ModelStore.loadUBM(path: settings.ubmPath)
            frontEnd = try FrontEnd(options: ubm.frontEnd)
        } catch { throw StartError(description: "\(error)") }
        encoderLoading: if let path = settings.encoderPath {
            do { encoder = try SpeakerEncoder.load(path: path) } catch {
                guard settings.encoderRequired else {
                    // The default encoder of a gmm server only gives enrolments their d-vectors.
                    FileHandle.standardError.write(
                        Data("speakerid-server: warning: \(path): \(error); serving without the speaker encoder (enrolments get no d-vector)\n".utf8))
                    encoder = nil
                    break encoderLoading
                }
                throw StartError(description: "\(path): \(error)")
            }
        } else {
            encoder = nil
        }
        let system = settings.system
        if system != .gmm {
            guard encoder != nil else {
                throw StartError(description: "the \(system.rawValue) system scores with the speaker encoder, and none was given")
            }
            guard settings.calibrationPath != nil else {
                throw StartError(
                    description:
                        "the \(system.rawValue) system decides on calibrated LLRs: give a calibration of it (`speakerid calibrate --system \(system.rawValue)`)"
                )
            }
        }
        if let path = settings.calibrationPath {
            do {
                let c = try Calibration.load(path: path)
                try c.check(
                    ubmChecksum: system == .dvector ? nil : ubm.checksumHex, frontEnd: ubm.frontEnd, scoreNormalization: .none,
                    system: system, encoder: system == .gmm ? nil : encoder?.identity.checksum, what: "the models in \(settings.models)")
                calibration = c
            } catch { throw StartError(description: "\(path): \(error)") }
        } else {
            calibration = nil
        }
        if FileSystem.exists(settings.models) && !FileSystem.isDirectory(settings.models) {
            throw StartError(description: "\(settings.models): is a file, not a models folder")
        }
    }

    /// The rule `identify` uses with these settings (the fusion's scores are its calibrated
    /// LLRs already).
    var identifyRule: DecisionRule {
        if settings.system == .fusion { return fusedRule }
        return DecisionRule(
            calibration: calibration, threshold: settings.threshold, costs: settings.costs, minimumSpeechSeconds: settings.minimumSpeechSeconds)
    }

    /// The rule `verify` uses.
    var verifyRule: DecisionRule {
        if settings.system == .fusion { return fusedRule }
        return DecisionRule.verification(
            calibration: calibration, threshold: settings.threshold, costs: settings.costs, minimumSpeechSeconds: settings.minimumSpeechSeconds)
    }

    private var fusedRule: DecisionRule {
        .onCalibratedLLRs(threshold: settings.threshold, costs: settings.costs, minimumSpeechSeconds: settings.minimumSpeechSeconds)
    }

    /// The scorer of `models` by the server's system.
    func scorer(_ models: [SpeakerModel]) throws -> ClipIdentification.Scorer {
        switch settings.system {
        case .gmm:
            return .gmm(try ClipScorer(models: models, ubm: ubm, topC: settings.topC), normalized: false)
        case .dvector:
            guard let encoder else { throw ScoringError.modelsIncompatible("the d-vector system needs the speaker encoder") }
            return .dvector(try DVectorScorer(encoder: encoder, models: models, folder: "the models folder"))
        case .fusion:
            guard let encoder, let calibration else {
                throw ScoringError.modelsIncompatible("the fusion needs the speaker encoder and its calibration")
            }
            return .fusion(
                try FusedScorer(
                    models: models, ubm: ubm, encoder: encoder, calibration: calibration, folder: "the models folder", topC: settings.topC))
        }
    }

    /// A message about the folder without the server's own path in it.
    func userMessage(_ error: any Error) -> String {
        let s = "\(error)"
        let prefix = store.directory + ": "
        return s.hasPrefix(prefix) ? String(s.dropFirst(prefix.count)) : s.replacingOccurrences(of: store.directory, with: "the models folder")
    }

    /// The enrolled models, their identification and tracking, loaded again when the folder
    /// changed; 409 when the folder cannot be loaded.
    func current() throws(APIError) -> FolderState {
        let generation = FolderGeneration.of(store.directory)
        lock.lock()
        if let l = loaded, l.generation == generation {
            lock.unlock()
            if let p = l.problem { throw APIError.conflict(p) }
            return l.state
        }
        lock.unlock()
        var state: Loaded
        do {
            let models = generation.exists ? try store.loadAll(ubm: ubm) : []
            state = (generation, scoring(models), nil)
        } catch ModelStoreError.noModels {
            state = (generation, FolderState(), nil)
        } catch {
            state = (generation, FolderState(), "the models folder cannot be used: \(userMessage(error))")
        }
        lock.lock()
        loaded = state
        lock.unlock()
        if let p = state.problem { throw APIError.conflict(p) }
        return state.state
    }

    /// `models` with what identifies and tracks them by the server's system, or why it cannot.
    private func scoring(_ models: [SpeakerModel]) -> FolderState {
        var state = FolderState(models: models)
        guard !models.isEmpty else { return state }
        do {
            state.identification = ClipIdentification(scorer: try scorer(models), rule: identifyRule, top: settings.top, models: models)
            var tracking = Tracking(identifier: try Identifier(models: models, ubm: ubm, topC: settings.topC))
            if settings.system != .gmm, let encoder, let calibration {
                tracking.encoderScoring = try EncoderSegmentScoring(
                    system: settings.system, encoder: encoder, models: models, ubm: ubm, calibration: calibration, folder: "the models folder")
            }
            state.tracking = tracking
        } catch {
            state.identification = nil
            state.scoringProblem = "the \(settings.system.rawValue) system cannot score this folder: \(userMessage(error))"
        }
        return state
    }

    /// Opens `data` as audio and checks its length: 422 when it is not audio SpeakerID reads,
    /// 413 when it is longer than the limit. Returns its duration in seconds.
    func checkAudio(_ data: Data, name: String) throws(APIError) -> Double {
        let info: AudioInfo
        do { info = try AudioDecoder(data: data, name: name).info } catch {
            throw APIError.notAudio("the request body is not audio SpeakerID can read (WAV, FLAC, Ogg, MP3, AIFF, ...): \(error)")
        }
        if info.duration > settings.maxAudioSeconds {
            throw APIError.tooLarge(
                "the recording lasts \(String(format: "%.1f", info.duration)) s, more than this server's limit of \(String(format: "%g", settings.maxAudioSeconds)) s"
            )
        }
        return info.duration
    }

    /// `identify --json`'s answer for one recording.
    func identify(_ data: Data, name: String) throws(APIError) -> (answer: IdentificationAnswer, duration: Double) {
        let duration = try checkAudio(data, name: name)
        let identification = try current().identifying()
        do { return (try identification.answer(.memory(data, name: name)), duration) } catch {
            throw APIError.notAudio(userMessage(error))
        }
    }

    /// `verify --json --speaker NAME`'s answer for one recording.
    func verify(_ data: Data, name: String, speaker raw: String) throws(APIError) -> (answer: VerificationAnswer, duration: Double) {
        let speaker: SpeakerName
        do { speaker = try SpeakerName(raw) } catch { throw APIError.badRequest("speaker: \(error)") }
        let duration = try checkAudio(data, name: name)
        let models = try current().models
        guard let model = models.first(where: { $0.speaker == speaker.value }) else {
            throw APIError.notFound(
                userMessage(ModelStoreError.notEnrolled(speaker.value, directory: store.directory, enrolled: models.map(\.speaker).sorted())))
        }
        let scorer: ClipIdentification.Scorer
        do { scorer = try self.scorer([model]) } catch {
            throw APIError.conflict(
                "the \(settings.system.rawValue) system cannot score speaker \(model.speaker.debugDescription): \(userMessage(error))")
        }
        do {
            let answer = try ClipVerification(scorer: scorer, rule: verifyRule, model: model).answer(.memory(data, name: name))
            return (answer, duration)
        } catch {
            throw APIError.notAudio(userMessage(error))
        }
    }

    /// Every enrolled speaker, by name.
    func list() throws(APIError) -> [SpeakerEntry] {
        let models = try current().models
        let formatter = ISO8601DateFormatter()
        return models.map { m in
            // When the model file was written (models hold no date), as `speakers list` says.
            let date =
                (try? SpeakerName(m.speaker)).flatMap { n in
                    (try? FileManager.default.attributesOfItem(atPath: store.path(for: n))[.modificationDate] as? Date).map {
                        formatter.string(from: $0)
                    }
                } ?? ""
            return SpeakerEntry(
                speaker: m.speaker, speechSeconds: m.training.speechSeconds, files: m.training.files,
                kind: m.ubm != nil ? "map_adapted" : "em", enrolledAt: date)
        }.sorted { $0.speaker < $1.speaker }
    }

    /// Enrols `raw` from one recording, or adds it to their model exactly (from the statistics
    /// the model keeps), as `speakerid enroll --ubm UBM [--add]` does.
    func enrol(_ raw: String, audio data: Data) async throws(APIError) -> EnrolmentResult {
        let name: SpeakerName
        do { name = try SpeakerName(newSpeaker: raw) } catch { throw APIError.badRequest("\(error)") }
        _ = try checkAudio(data, name: "the recording")
        let recording = "upload to speakerid-server at \(ISO8601DateFormatter().string(from: Date()))"
        let features: SpeechFeatures
        do { features = try frontEnd.features(of: .memory(data, name: recording)) } catch {
            throw APIError.notAudio("the recording cannot be analysed: \(error)")
        }
        // The d-vector's share of the recording, when the server has the speaker encoder.
        var embedding: SpeakerEmbedding?
        var embeddingProblem: String?
        if let encoder {
            do { embedding = try encoder.embedding(of: .memory(data, name: "the recording")) } catch {
                if settings.system != .gmm {
                    throw APIError.notAudio("the recording gives the speaker encoder nothing to embed: \(error)")
                }
                embeddingProblem = "\(error)"
            }
        }
        let enrollment: Enrollment
        do { enrollment = try Enrollment(frontEnd: frontEnd, em: EMOptions()) } catch { throw APIError.internal("\(error)") }
        let store = self.store, ubm = self.ubm, system = settings.system, hasEncoder = encoder != nil
        let (embedded, embeddingFailure) = (embedding, embeddingProblem)
        do {
            return try await changes.run { () async throws -> EnrolmentResult in
                try store.prepareDirectory()
                let folderLock = try ModelFolderLock(directory: store.directory, mode: .exclusive)
                defer { withExtendedLifetime(folderLock) {} }
                let existing: SpeakerModel?
                if FileManager.default.fileExists(atPath: store.path(for: name)) {
                    let m = try store.load(name)
                    if m.ubm == nil {
                        throw APIError.conflict(
                            "speaker \(m.speaker.debugDescription) was trained by EM without a UBM; audio can only be added to a MAP-adapted model")
                    }
                    guard m.ubm?.matches(ubm) ?? false else {
                        throw APIError.conflict("speaker \(m.speaker.debugDescription) was adapted from another UBM than this server's")
                    }
                    if let d = m.dvector {
                        guard hasEncoder else {
                            throw APIError.conflict(
                                "speaker \(m.speaker.debugDescription) has a d-vector (of speaker encoder \(d.encoder.name)), and this server runs without the speaker encoder: adding audio here would lose it; nothing was changed"
                            )
                        }
                        guard let e = embedded else {
                            throw APIError.notAudio(
                                "the recording gives the speaker encoder nothing to embed (\(embeddingFailure ?? "")), and speaker \(m.speaker.debugDescription)'s d-vector must take all their audio; nothing was changed"
                            )
                        }
                        if e.encoder != d.encoder {
                            throw APIError.conflict(
                                "speaker \(m.speaker.debugDescription)'s d-vector was made by another speaker encoder (checksum \(d.encoder.checksum)) than this server's"
                            )
                        }
                    } else if system != .gmm {
                        throw APIError.conflict(
                            "speaker \(m.speaker.debugDescription) was enrolled without the speaker encoder: added audio alone cannot make an exact d-vector; enrol them again with all their audio"
                        )
                    }
                    existing = m
                } else {
                    try enrollment.checkSpeech(
                        speaker: name.value, frames: features.frames.rows, minimumSeconds: Enrollment.defaultMinimumSpeechSeconds)
                    existing = nil
                }
                if let (other, _) = try store.firstIncompatibility(frontEnd: ubm.frontEnd, ubm: ubm, replacing: [name.value]) {
                    throw APIError.conflict(
                        "speaker \(other.debugDescription) in the models folder could not be scored beside a model adapted from this server's UBM")
                }
                var map = MAPAdaptation()
                map.relevance = 16
                map.parameters = .means
                var model: SpeakerModel
                if let existing {
                    model = try await enrollment.add([features], to: existing, ubm: ubm, threads: 1)
                } else {
                    model = try await enrollment.adapt(speaker: name.value, features: [features], ubm: ubm, map: map, threads: 1)
                }
                // The d-vector: the new embedding added to the speaker's (kept exact as the
                // GMM is), or made from it for a new speaker.
                var warning: String?
                if let embedded, existing == nil || existing?.dvector != nil {
                    if var d = existing?.dvector {
                        try d.add([embedded])
                        model.dvector = d
                    } else {
                        model.dvector = try SpeakerDVector(embeddings: [embedded])
                    }
                } else if let embeddingFailure {
                    warning =
                        "the recording gave the speaker encoder nothing to embed (\(embeddingFailure)): the speaker has no d-vector, and cannot be scored by the dvector or fusion systems until enrolled again with a recording that gives one"
                } else if hasEncoder && existing != nil {
                    warning = "speaker \(model.speaker.debugDescription) was enrolled without the speaker encoder, so they still have no d-vector"
                }
                try store.save(model)
                return EnrolmentResult(
                    speaker: model.speaker, created: existing == nil, speechSeconds: model.training.speechSeconds,
                    addedSpeechSeconds: enrollment.speechSeconds(frames: features.frames.rows), files: model.training.files,
                    frames: model.training.frames, dvector: model.dvector != nil, warning: warning)
            }
        } catch let e as APIError {
            throw e
        } catch let e as EnrollmentError {
            throw APIError.notAudio(userMessage(e))
        } catch let e as ModelStoreError {
            throw Self.apiError(e, message: userMessage(e))
        } catch {
            throw APIError.internal(userMessage(error))
        }
    }

    /// Renames a speaker as `speakerid speakers rename` does.
    func rename(_ old: String, to new: String) async throws(APIError) -> String {
        let from: SpeakerName, to: SpeakerName
        do { from = try SpeakerName(old) } catch { throw APIError.badRequest("\(error)") }
        do { to = try SpeakerName(newSpeaker: new) } catch { throw APIError.badRequest("new name: \(error)") }
        let store = self.store
        do {
            return try await changes.run { () throws -> String in
                try store.rename(from, to: to)
                return to.value
            }
        } catch let e as ModelStoreError {
            throw Self.apiError(e, message: userMessage(e))
        } catch {
            throw APIError.internal(userMessage(error))
        }
    }

    /// Removes a speaker as `speakerid speakers remove` does.
    func remove(_ raw: String) async throws(APIError) {
        let name: SpeakerName
        do { name = try SpeakerName(raw) } catch { throw APIError.badRequest("\(error)") }
        let store = self.store
        do {
            try await changes.run { () throws -> Void in try store.remove(name) }
        } catch let e as ModelStoreError {
            throw Self.apiError(e, message: userMessage(e))
        } catch {
            throw APIError.internal(userMessage(error))
        }
    }

    /// The status of a folder error: the user's (400, 404, 409) or the server's.
    static func apiError(_ e: ModelStoreError, message: String) -> APIError {
        switch e {
        case .notEnrolled, .noModels, .noFolder: return .notFound(message)
        case .alreadyEnrolled, .incompatible, .nameMismatch: return .conflict(message)
        case .invalidName: return .badRequest(message)
        case .busy: return APIError(status: .serviceUnavailable, kind: "busy", message: message)
        case .writeFailed, .readFailed, .notADirectory, .unlistable, .invalidFile: return .internal(message)
        }
    }
}
