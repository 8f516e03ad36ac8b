import ArgumentParser
import Foundation
import SpeakerID

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Train one speaker model per speaker (diagonal GMM, EM) and save it in the models folder.",
        discussion: """
            Either one speaker:   speakerid enroll --models DIR --speaker NAME AUDIO...
            or a whole corpus:    speakerid enroll --models DIR --corpus DIR [--split enroll]
            A model that exists is replaced atomically. A model the folder's other models could \
            not be scored with (another front end, another UBM, EM beside MAP-adapted models) is \
            refused before any work. Interrupted (SIGINT, SIGTERM), it says which speakers' models \
            were written and leaves no temporary file; the same command run again enrols them all.
            """
    )

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @Option(help: ArgumentHelp("Name of the speaker the audio belongs to.", valueName: "name"))
    var speaker: String?
    @Option(help: ArgumentHelp("Corpus folder (protocol.tsv, or one sub-folder per speaker).", valueName: "dir"))
    var corpus: String?
    @Option(help: ArgumentHelp("Split of the corpus to enrol from.", valueName: "name"))
    var split = "enroll"
    @Flag(
        help:
            "Report unusable audio files, and (with --corpus) speakers left with no usable audio or less speech than --min-speech, and carry on with the rest (default: fail)."
    )
    var skipBad = false
    @Flag(help: "Print a JSON summary.")
    var json = false
    @Option(
        help: ArgumentHelp(
            "MAP-adapt each speaker from this UBM (train-ubm) instead of training by EM; the front end is the UBM's.", valueName: "file"))
    var ubm: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("With --ubm: MAP relevance factor r (default: 16).", valueName: "r"))
    var relevance: Double?
    @Option(help: ArgumentHelp("With --ubm: what MAP adapts, any of m (means), w (weights), v (variances) (default: m).", valueName: "mwv"))
    var adapt: MAPAdaptation.Parameters?
    @Flag(
        help:
            "With --speaker and --ubm: add the audio to the speaker's existing model (its enrolment statistics plus the new audio's, adapted again: the model enrolling on all of it at once gives). Files the model already holds are counted once."
    )
    var add = false
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Refuse to enrol a speaker with less speech than this, in seconds after the speech-activity detection (0-3600).", valueName: "s"))
    var minSpeech = Enrollment.defaultMinimumSpeechSeconds
    @Argument(help: "Audio files or folders of the speaker (with --speaker).")
    var audio: [String] = []
    /// Sharded enrolment (issue #17): with --corpus, only the speakers of shard I of N.
    @OptionGroup var sharding: ShardArguments

    @OptionGroup var em: EMArguments
    @OptionGroup var encoderOptions: EncoderArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if (speaker == nil) == (corpus == nil) { throw ValidationError("give either --speaker NAME with audio files, or --corpus DIR") }
        if speaker != nil && audio.isEmpty { throw ValidationError("--speaker needs at least one audio file or folder") }
        if corpus != nil && !audio.isEmpty { throw ValidationError("audio arguments go with --speaker, not --corpus") }
        if add && (speaker == nil || ubm == nil) {
            throw ValidationError("--add goes with --speaker NAME and --ubm FILE (audio is added to a MAP-adapted model)")
        }
        if add && (relevance != nil || adapt != nil) { throw ValidationError("--add keeps the model's own --relevance and --adapt") }
        if sharding.shard != nil && corpus == nil { throw ValidationError("--shard splits a corpus's speakers: give --corpus DIR") }
        if !(minSpeech >= 0 && minSpeech <= 3600) { throw ValidationError("--min-speech must be 0-3600 seconds") }
        if let r = relevance, !(r > 0 && r <= 1e6) { throw ValidationError("--relevance must be more than 0 and at most 1e6") }
        if ubm == nil {
            let mapOnly = [("--relevance", relevance != nil), ("--adapt", adapt != nil)].filter(\.1).map(\.0)
            if !mapOnly.isEmpty { throw ValidationError("\(mapOnly.joined(separator: " and ")) only apply to MAP adaptation (with --ubm FILE)") }
        } else {
            let emOnly = em.trainingOnlyGiven
            if !emOnly.isEmpty {
                throw ValidationError(
                    "\(emOnly.joined(separator: ", ")) only apply to training by EM; with --ubm each speaker is MAP-adapted from the UBM and keeps its \(emOnly.contains("--components") ? "order" : "parameters")"
                )
            }
        }
    }

    /// Refuses a model the folder's other speakers could not be scored with (the library's
    /// rule, `ModelMismatch`), in the words of someone enrolling.
    static func checkCompatible(
        store: ModelStore, replacing: Set<String>, frontEnd: FrontEndOptions,
        ubm: SpeakerModel?, ubmPath: String?
    ) throws {
        guard let (speaker, mismatch) = try store.firstIncompatibility(frontEnd: frontEnd, ubm: ubm, replacing: replacing) else { return }
        let folder = store.directory
        switch mismatch {
        case .trainedByEM:
            throw CLIError(
                "\(folder): holds speaker \(speaker.debugDescription) trained by EM; a model adapted from \(ubmPath ?? "a UBM") could not be scored beside it (use another models folder)"
            )
        case .otherUBM(let checksum):
            throw CLIError(
                "\(folder): speaker \(speaker.debugDescription) was adapted from another UBM (checksum \(checksum)) than \(ubmPath ?? "this one") (\(ubm?.checksumHex ?? "")); use another models folder or re-enrol everyone with this UBM"
            )
        case .adaptedFromUBM:
            throw CLIError(
                "\(folder): holds speaker \(speaker.debugDescription) MAP-adapted from a UBM; a model trained by EM could not be scored beside it (enrol with --ubm, or use another models folder)"
            )
        case .otherFrontEnd(let differences):
            throw CLIError(
                "\(folder): speaker \(speaker.debugDescription) was enrolled with another front end (\(differences)); use the same front-end options or another models folder"
            )
        }
    }

    func run() async throws {
        let start = Date()
        let ubmModel = try ubm.map { try ModelStore.loadUBM(path: $0) }
        let options = try ubmModel.map { try frontEnd.check(against: $0.frontEnd) } ?? frontEnd.apply(to: FrontEndOptions())
        let fe = try FrontEnd(options: options)
        var map = MAPAdaptation()
        map.relevance = relevance ?? 16
        map.parameters = adapt ?? .means
        do { try map.validate() } catch { throw ValidationError("\(error)") }
        let emOptions = try em.options()
        let enrollment = try Enrollment(frontEnd: fe, em: emOptions, order: em.automaticOrder ? .automatic : .fromOptions)
        let store = ModelStore(directory: models)
        let quiet = common.quiet || json
        // The d-vector system's encoder: each speaker's d-vector is stored beside the GMM when
        // there is one (--encoder, or the default location).
        let speakerEncoder = try encoderOptions.load(required: false)

        // (speaker, files) in order; notes on the inputs (duplicates, empty folders).
        var jobs: [(String, [AudioSource])] = []
        var notes: [String] = []
        if let speaker {
            let files = Corpus.expandInputs(audio)
            notes += files.notes
            if files.files.isEmpty { throw CLIError("no audio files found in \(audio.joined(separator: ", "))") }
            jobs = [(try SpeakerName(newSpeaker: speaker).value, files.files.map { AudioSource.file($0) })]
        } else if let corpus {
            let c = try Corpus(root: corpus)
            notes += c.notes
            let entries = try c.entries(split: split)
            for s in Corpus.speakers(entries) {
                do { _ = try SpeakerName(newSpeaker: s) } catch { throw CLIError("\(corpus): \(error)") }
                jobs.append((s, entries.filter { $0.speaker == s }.map(\.source)))
            }
            // Sharded enrolment: the speakers at positions p with p mod N = I (each model is
            // the same as in an enrolment of the whole corpus).
            jobs = try sharding.parsed().select(jobs)
        }
        // Checked now, made when the first model is written: a failed enrolment leaves no
        // empty models folder behind.
        try store.checkDirectory()
        // The folder stays locked from the first read (--add, the compatibility check) to the
        // last model written, so a rename, a removal or another enrolment cannot interleave
        // (a folder made by this enrolment is locked by each save).
        let folderLock = try store.lockIfPresent(.exclusive)
        defer { withExtendedLifetime(folderLock) {} }
        // --add: the speaker's model, and the files it already holds left out.
        var existing: SpeakerModel?
        if add, let s = jobs.first {
            let name = try SpeakerName(s.0)
            let m = try store.load(name)
            if m.ubm == nil {
                throw CLIError(
                    "\(models): speaker \(m.speaker.debugDescription) was trained by EM without a UBM, and audio can only be added to a MAP-adapted model; enrol them again with --ubm and all their audio"
                )
            }
            guard let u = ubmModel, m.ubm?.matches(u) ?? false else {
                throw CLIError(
                    "\(models): speaker \(m.speaker.debugDescription) was not adapted from \(ubm ?? "this UBM"); audio can only be added with the model's own UBM"
                )
            }
            // A d-vector is kept exact only by adding the new audio's embeddings, made by the
            // encoder that made it: without that encoder the model would lose its d-vector.
            if let d = m.dvector {
                guard let speakerEncoder else {
                    throw CLIError(
                        "\(store.path(for: name)): speaker \(m.speaker.debugDescription) has a d-vector: adding audio needs the speaker encoder that made it (\(d.encoder.name), checksum \(d.encoder.checksum)): --encoder FILE, or `speakerid encoder fetch`"
                    )
                }
                guard d.encoder == speakerEncoder.identity else {
                    throw CLIError(
                        "\(models): speaker \(m.speaker.debugDescription)'s d-vector was made by another speaker encoder (\(d.encoder.checksum)); add audio with that encoder, or enrol the speaker again"
                    )
                }
            }
            let held = Set((m.training.sources ?? []).compactMap(\.checksum))
            var keep: [AudioSource] = []
            for f in s.1 {
                if case .file(let path) = f, let c = EnrolledFile.checksum(ofFileAt: path), held.contains(c) {
                    notes.append("\(f) is already in speaker \(m.speaker.debugDescription)'s model; counted once")
                } else {
                    keep.append(f)
                }
            }
            if keep.isEmpty { throw CLIError("speaker \(m.speaker.debugDescription): every file given is already in the model; nothing to add") }
            jobs = [(s.0, keep)]
            existing = m
        }
        try Self.checkCompatible(store: store, replacing: Set(jobs.map(\.0)), frontEnd: options, ubm: ubmModel, ubmPath: ubm)
        let threads = common.threadCount
        let allFiles = jobs.flatMap { j in j.1.map { (j.0, $0) } }
        let skip = skipBad
        let raw = try rawAudio.format()
        // From here on, an interruption says which models were written (none, while the audio
        // is still being read).
        let written = WrittenModels(total: jobs.map(\.0))
        Interruption.report { written.summary() }
        let featureProgress = Progress(total: allFiles.count, label: "features", quiet: quiet)
        let extracted = try await fe.features(of: allFiles.map(\.1), raw: raw, threads: threads, skipBad: skip) { featureProgress.tick() }
        var perSpeaker: [String: [SpeechFeatures]] = [:]
        var skipped: [(file: String, error: String)] = []
        var narrowBand: [Int: Int] = [:]
        for (i, r) in extracted.enumerated() {
            switch r {
            case .success(let f):
                perSpeaker[allFiles[i].0, default: []].append(f)
                if options.lacksBand(sourceRate: f.sourceSampleRate) { narrowBand[f.sourceSampleRate, default: 0] += 1 }
            case .failure(let e):
                skipped.append((e.source, e.reason))
                Console.warn("skipped: \(e.reason)")
            }
        }
        // A speaker with no usable audio, or less speech than --min-speech, stops the enrolment;
        // with --skip-bad and a corpus, it is reported (one line each) and the others enrolled.
        var skippedSpeakers: [(speaker: String, error: String)] = []
        for (s, _) in jobs {
            let reason: String
            if perSpeaker[s] == nil {
                reason = "speaker \(s.debugDescription): no usable audio"
            } else if existing == nil {  // audio added to a model (--add) joins the speech it holds
                let frames = perSpeaker[s]?.reduce(0) { $0 + $1.frames.rows } ?? 0
                do {
                    try enrollment.checkSpeech(speaker: s, frames: frames, minimumSeconds: minSpeech)
                    continue
                } catch { reason = "\(error) (or lower --min-speech, now \(fmt(minSpeech, 2)) s)" }
            } else {
                continue
            }
            guard skipBad && corpus != nil else { throw CLIError(reason) }
            skippedSpeakers.append((s, reason))
            Console.warn("skipped: " + reason)
        }
        if !skippedSpeakers.isEmpty {
            let left = Set(skippedSpeakers.map(\.speaker))
            jobs.removeAll { left.contains($0.0) }
            if jobs.isEmpty { throw CLIError("\(corpus ?? models): no speaker could be enrolled (\(skippedSpeakers.count) skipped)") }
            // A skipped speaker's model already in the folder stays: it was taken as replaced
            // when the folder was checked, so the folder is checked again without it.
            try Self.checkCompatible(store: store, replacing: Set(jobs.map(\.0)), frontEnd: options, ubm: ubmModel, ubmPath: ubm)
            written.leaveOut(left)
        }
        var warnings: [String] = notes
        var dvectors: [String: SpeakerDVector] = [:]
        if let speakerEncoder {
            let enrolling = Set(jobs.map(\.0))
            let usable = extracted.indices.filter { i in
                if case .success = extracted[i], enrolling.contains(allFiles[i].0) { return true } else { return false }
            }
            let embedProgress = Progress(total: usable.count, label: "d-vectors", quiet: quiet)
            let embedded = try await parallelMap(count: usable.count, threads: threads) { k -> Result<SpeakerEmbedding, EncoderError> in
                defer { embedProgress.tick() }
                do throws(EncoderError) { return .success(try speakerEncoder.embedding(of: allFiles[usable[k]].1, raw: raw)) } catch {
                    return .failure(error)
                }
            }
            var perSpeakerEmbeddings: [String: [SpeakerEmbedding]] = [:]
            for (k, r) in embedded.enumerated() {
                switch r {
                case .success(let e): perSpeakerEmbeddings[allFiles[usable[k]].0, default: []].append(e)
                case .failure(let e): warnings.append("\(e); the file is left out of the speaker's d-vector")
                }
            }
            for (s, _) in jobs {
                guard let es = perSpeakerEmbeddings[s], !es.isEmpty else {
                    warnings.append(
                        "speaker \(s.debugDescription): no file gave a d-vector; the speaker has none (--system dvector and fusion will refuse this folder)"
                    )
                    continue
                }
                if let m = existing {
                    guard var d = m.dvector else {
                        warnings.append(
                            "speaker \(s.debugDescription) was enrolled without the speaker encoder: the added audio cannot make an exact d-vector alone, so the speaker still has none; enrol them again with all their audio for one"
                        )
                        continue
                    }
                    try d.add(es)  // its encoder checked before any work
                    dvectors[s] = d
                } else {
                    dvectors[s] = try SpeakerDVector(embeddings: es)
                }
            }
        } else if !quiet {
            warnings.append(
                "no speaker encoder (`speakerid encoder fetch`): d-vectors are not stored, so --system dvector and fusion will not work on this folder"
            )
        }
        var short: [(String, Double)] = []
        for (s, _) in jobs {
            let frames = perSpeaker[s]?.reduce(0) { $0 + $1.frames.rows } ?? 0
            let seconds = enrollment.speechSeconds(frames: frames)
            // Only a fixed order can be too large for the speech: the automatic order gives every
            // component its 25 frames by construction (and measured better than smaller orders).
            if ubmModel == nil && !em.automaticOrder && enrollment.tooFewFrames(frames) {
                let k = enrollment.options(frames: frames).components
                let auto = Enrollment.automaticComponents(frames: frames)
                let advice = auto < k ? "consider --components auto (\(auto) for this speaker)" : "add audio of the speaker"
                warnings.append(
                    "speaker \(s.debugDescription) has only \(frames) speech frames (\(fmt(seconds, 1)) s) for \(k) components, \(frames / max(k, 1)) per component, fewer than \(Enrollment.framesPerComponent); "
                        + advice)
            }
            if ubmModel != nil && seconds < Enrollment.recommendedSpeechSeconds { short.append((s, seconds)) }
        }
        if !short.isEmpty {
            let limit = Int(Enrollment.recommendedSpeechSeconds)
            let who =
                short.count == 1
                ? "speaker \(short[0].0.debugDescription) has only \(fmt(short[0].1, 1)) s of speech, less than \(limit) s"
                : "\(short.count) of \(jobs.count) speakers have less than \(limit) s of speech: "
                    + short.map { "\($0.0.debugDescription) (\(fmt($0.1, 1)) s)" }.joined(separator: ", ")
            warnings.append(
                who
                    + ". Models enrolled on so little verify markedly worse (measured on cv-fa: 2-s EER about 5% for 5-10 s, 11% under 5 s, 1% from 10 s); add audio if you can"
            )
        }
        if !narrowBand.isEmpty {
            let n = narrowBand.values.reduce(0, +)
            let rates = narrowBand.keys.sorted().map { "\($0) Hz" }.joined(separator: ", ")
            warnings.append(
                "\(n) enrolment file\(n == 1 ? "" : "s") (\(rates)) lack the band above their Nyquist frequency that the front end analyses (up to \(Int(options.effectiveHighFrequency)) Hz); the models will not compare with full-band audio (enrol narrow-band audio with --sample-rate 8000, or limit the band with --high-freq)"
            )
        }
        if !quiet { for w in warnings { Console.warn("warning: " + w) } }
        // One speaker: all threads inside EM. Many: one speaker per thread.
        let emThreads = jobs.count == 1 ? threads : 1
        let counter = Progress(total: jobs.count, label: "trained", quiet: quiet)
        let speakerJobs = jobs, features = perSpeaker, mapOptions = map, addingTo = existing, speakerDVectors = dvectors
        // A folder this enrolment makes is locked at its first model, and checked again under
        // the lock: another enrolment may have made it, with another UBM, in the meantime.
        let firstSave = FirstSave(alreadyLocked: folderLock != nil) { [replacing = Set(jobs.map(\.0)), ubm] in
            try store.prepareDirectory()
            let lock = try ModelFolderLock(directory: store.directory, mode: .exclusive)
            try Self.checkCompatible(store: store, replacing: replacing, frontEnd: options, ubm: ubmModel, ubmPath: ubm)
            return lock
        }
        let trained = try await parallelMap(count: jobs.count, threads: jobs.count == 1 ? 1 : threads) { i -> (String, SpeakerModel) in
            let s = speakerJobs[i].0
            var model: SpeakerModel
            if let u = ubmModel, let m = addingTo {
                model = try await enrollment.add(features[s] ?? [], to: m, ubm: u, threads: emThreads)
            } else if let u = ubmModel {
                model = try await enrollment.adapt(speaker: s, features: features[s] ?? [], ubm: u, map: mapOptions, threads: emThreads)
            } else {
                model = try await enrollment.train(speaker: s, features: features[s] ?? [], threads: emThreads)
            }
            model.dvector = speakerDVectors[s]
            try firstSave.run()
            let path = try store.save(model)
            written.add(s)
            counter.tick()
            return (path, model)
        }
        let elapsed = Date().timeIntervalSince(start)
        if json {
            print(
                SpeakerIDCLI.json([
                    "models": trained.map {
                        [
                            "speaker": $0.1.speaker, "file": $0.0, "frames": $0.1.training.frames,
                            "speech_seconds": $0.1.training.speechSeconds,
                            "iterations": $0.1.training.iterations, "log_likelihood": $0.1.training.finalLogLikelihood,
                        ]
                    },
                    "warnings": warnings, "skipped_files": skipped.map { ["file": $0.file, "error": $0.error] },
                    "skipped_speakers": skippedSpeakers.map { ["speaker": $0.speaker, "error": $0.error] }, "run_seconds": elapsed,
                ]))
        } else {
            for (path, m) in trained {
                print(
                    "\(m.speaker)\t\(path)\t\(m.training.frames) frames\t\(m.training.iterations) iterations\tavg log-likelihood \(fmt(m.training.finalLogLikelihood, 3))"
                )
            }
            let left =
                (skipped.isEmpty ? [] : ["\(skipped.count) bad file(s)"]) + (skippedSpeakers.isEmpty ? [] : ["\(skippedSpeakers.count) speaker(s)"])
            Console.progress(
                "enrolled \(trained.count) speaker(s) in \(fmt(elapsed, 2)) s\(left.isEmpty ? "" : "; skipped " + left.joined(separator: " and "))",
                quiet: quiet)
        }
    }
}

/// The speakers whose models have been written so far, for the interruption message.
final class WrittenModels: @unchecked Sendable {
    // @unchecked: `done` is only touched under `lock`.
    private let lock = NSLock()
    private var done: [String] = []
    private var total: [String]

    init(total: [String]) { self.total = total }

    /// Speakers skipped for their audio: not counted as models still to write.
    func leaveOut(_ speakers: Set<String>) {
        lock.lock()
        total.removeAll { speakers.contains($0) }
        lock.unlock()
    }

    func add(_ speaker: String) {
        lock.lock()
        done.append(speaker)
        lock.unlock()
    }

    /// "models of 2 of 5 speakers were written (a, b); not written: c, d, e. Run ..."
    func summary() -> String {
        lock.lock()
        let d = done, total = total
        lock.unlock()
        let written = Set(d)
        let missing = total.filter { !written.contains($0) }
        func list(_ xs: [String]) -> String {
            xs.prefix(20).map(\.debugDescription).joined(separator: ", ") + (xs.count > 20 ? ", ... (\(xs.count) in all)" : "")
        }
        if missing.isEmpty { return "every model was written" }
        return
            "models of \(d.count) of \(total.count) speakers were written\(d.isEmpty ? "" : " (\(list(d)))"); not written: \(list(missing)). Run the same command again to enrol them all (written models are replaced atomically)"
    }
}

/// Runs `prepare` once, before the first model is written, and keeps the lock it returns until
/// the enrolment ends; every later call waits for it and fails as it failed.
final class FirstSave: @unchecked Sendable {
    // @unchecked: every property is touched under `lock` only.
    private let lock = NSLock()
    private var state: Result<ModelFolderLock?, Error>?
    private let prepare: @Sendable () throws -> ModelFolderLock

    init(alreadyLocked: Bool, prepare: @escaping @Sendable () throws -> ModelFolderLock) {
        self.prepare = prepare
        if alreadyLocked { state = .success(nil) }
    }

    func run() throws {
        lock.lock()
        defer { lock.unlock() }
        if state == nil { state = Result { try prepare() } }
        if case .failure(let e) = state { throw e }
    }
}
