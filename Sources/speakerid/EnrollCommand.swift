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
        A model that exists is replaced atomically.
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
    @Flag(help: "Report unusable audio files and carry on with the rest (default: fail).")
    var skipBad = false
    @Flag(help: "Print a JSON summary.")
    var json = false
    @Option(help: ArgumentHelp("MAP-adapt each speaker from this UBM (train-ubm) instead of training by EM; the front end is the UBM's.", valueName: "file"))
    var ubm: String?
    @Option(help: ArgumentHelp("MAP relevance factor r (default: 16).", valueName: "r"))
    var relevance = 16.0
    @Option(help: ArgumentHelp("What MAP adapts: any of m (means), w (weights), v (variances) (default: m).", valueName: "mwv"))
    var adapt = "m"
    @Argument(help: "Audio files or folders of the speaker (with --speaker).")
    var audio: [String] = []

    @OptionGroup var em: EMArguments
    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if (speaker == nil) == (corpus == nil) { throw ValidationError("give either --speaker NAME with audio files, or --corpus DIR") }
        if speaker != nil && audio.isEmpty { throw ValidationError("--speaker needs at least one audio file or folder") }
        if corpus != nil && !audio.isEmpty { throw ValidationError("audio arguments go with --speaker, not --corpus") }
        if adapt.isEmpty || !adapt.allSatisfy({ "mwv".contains($0) }) { throw ValidationError("--adapt takes letters from m, w, v (e.g. m or mwv)") }
    }

    func run() async throws {
        let start = Date()
        let ubmModel = try ubm.map { try ModelStore.loadUBM(path: $0) }
        let options = try ubmModel.map { try frontEnd.check(against: $0.frontEnd) } ?? frontEnd.apply(to: FrontEndOptions())
        let fe = try FrontEnd(options: options)
        var map = MAPAdaptation()
        map.relevance = relevance
        map.adaptMeans = adapt.contains("m")
        map.adaptWeights = adapt.contains("w")
        map.adaptVariances = adapt.contains("v")
        try map.validate()
        let emOptions = try em.options()
        let enrollment = Enrollment(frontEnd: fe, em: emOptions, automaticOrder: em.automaticOrder)
        let store = ModelStore(directory: models)

        // (speaker, files) in order.
        var jobs: [(String, [String])] = []
        if let speaker {
            _ = try SpeakerName(speaker)
            let files = Corpus.expand(audio)
            if files.isEmpty { throw CLIError("no audio files found in \(audio.joined(separator: ", "))") }
            jobs = [(speaker, files)]
        } else if let corpus {
            let c = try Corpus(root: corpus)
            let entries = try c.entries(split: split)
            for s in Corpus.speakers(entries) {
                _ = try SpeakerName(s)
                jobs.append((s, entries.filter { $0.speaker == s }.map(\.path)))
            }
        }
        let threads = common.threadCount
        let quiet = common.quiet || json
        let allFiles = jobs.flatMap { j in j.1.map { (j.0, $0) } }
        let skip = skipBad
        let raw = try rawAudio.format()
        let featureProgress = Progress(total: allFiles.count, label: "features", quiet: quiet)
        let extracted = try await parallelMap(count: allFiles.count, threads: threads) { i -> Result<SpeechFeatures, FileFailure> in
            do {
                let f = try fe.features(of: .file(allFiles[i].1), raw: raw)
                featureProgress.tick()
                return .success(f)
            } catch {
                if skip { return .failure(FileFailure(message: "\(error)")) }
                throw error
            }
        }
        var perSpeaker: [String: [SpeechFeatures]] = [:]
        var skipped = 0
        for (i, r) in extracted.enumerated() {
            switch r {
            case .success(let f): perSpeaker[allFiles[i].0, default: []].append(f)
            case .failure(let e):
                skipped += 1
                Console.warn("skipped: \(e.message)")
            }
        }
        for (s, _) in jobs where perSpeaker[s] == nil {
            throw CLIError("speaker \(s.debugDescription): no usable audio")
        }
        var warnings: [String] = []
        var short: [(String, Double)] = []
        for (s, _) in jobs {
            let frames = perSpeaker[s]?.reduce(0) { $0 + $1.frames.rows } ?? 0
            let seconds = enrollment.speechSeconds(frames: frames)
            if ubmModel == nil && enrollment.tooFewFrames(frames) {
                warnings.append("speaker \(s.debugDescription) has only \(frames) speech frames (\(fmt(seconds, 1)) s) for \(enrollment.options(frames: frames).components) components of dimension \(options.dimension); consider --components \(max(1, frames / (2 * options.dimension)))")
            }
            if ubmModel != nil && seconds < Enrollment.recommendedSpeechSeconds { short.append((s, seconds)) }
        }
        if !short.isEmpty {
            let limit = Int(Enrollment.recommendedSpeechSeconds)
            let who = short.count == 1
                ? "speaker \(short[0].0.debugDescription) has only \(fmt(short[0].1, 1)) s of speech, less than \(limit) s"
                : "\(short.count) of \(jobs.count) speakers have less than \(limit) s of speech: " + short.map { "\($0.0.debugDescription) (\(fmt($0.1, 1)) s)" }.joined(separator: ", ")
            warnings.append(who + ". Models enrolled on so little verify markedly worse (measured on cv-fa: 2-s EER about 5% for 5-10 s, 11% under 5 s, 1% from 10 s); add audio if you can")
        }
        if !quiet { for w in warnings { Console.warn("warning: " + w) } }
        // One speaker: all threads inside EM. Many: one speaker per thread.
        let emThreads = jobs.count == 1 ? threads : 1
        let counter = Progress(total: jobs.count, label: "trained", quiet: quiet)
        let speakerJobs = jobs, features = perSpeaker, mapOptions = map
        let trained = try await parallelMap(count: jobs.count, threads: jobs.count == 1 ? 1 : threads) { i -> (String, SpeakerModel) in
            let s = speakerJobs[i].0
            let model: SpeakerModel
            if let u = ubmModel {
                model = try await enrollment.adapt(speaker: s, features: features[s] ?? [], ubm: u, map: mapOptions, threads: emThreads)
            } else {
                model = try await enrollment.train(speaker: s, features: features[s] ?? [], threads: emThreads)
            }
            let path = try store.save(model)
            counter.tick()
            return (path, model)
        }
        let elapsed = Date().timeIntervalSince(start)
        if json {
            print(SpeakerIDCLI.json([
                "models": trained.map { ["speaker": $0.1.speaker, "file": $0.0, "frames": $0.1.training.frames,
                                          "speech_seconds": $0.1.training.speechSeconds,
                                          "iterations": $0.1.training.iterations, "log_likelihood": $0.1.training.finalLogLikelihood] },
                "warnings": warnings, "skipped_files": skipped, "seconds": elapsed]))
        } else {
            for (path, m) in trained {
                print("\(m.speaker)\t\(path)\t\(m.training.frames) frames\t\(m.training.iterations) iterations\tavg log-likelihood \(fmt(m.training.finalLogLikelihood, 3))")
            }
            Console.progress("enrolled \(trained.count) speaker(s) in \(fmt(elapsed, 2)) s\(skipped > 0 ? "; skipped \(skipped) bad file(s)" : "")", quiet: quiet)
        }
    }
}

struct FileFailure: Error, Sendable {
    let message: String
}
