import ArgumentParser
import Foundation
import SpeakerID

struct TrainUBMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-ubm",
        abstract: "Train a universal background model: EM on the pooled speech frames of many speakers.",
        discussion: """
            Speaker models MAP-adapted from it (enroll --ubm) are scored by log-likelihood ratio \
            against it (Reynolds, Quatieri & Dunn 2000). Frames are held in memory as Float \
            (about 90 MB per hour of speech with the default 63 dimensions); --subsample N uses \
            every N-th frame per iteration (a different offset each time) for very large sets, \
            and --keep-every N keeps only every N-th speech frame of each recording in memory \
            (for hundreds of hours: 1/N of the memory). --frames-on-disk keeps every frame in a \
            temporary file next to --out instead and streams it in each EM iteration (the same \
            UBM, memory independent of the hours).
            """)

    @OptionGroup var background: BackgroundArguments
    @OptionGroup var training: UBMTrainingArguments
    @Option(parsing: .unconditional, help: ArgumentHelp("Use every N-th frame per EM iteration.", valueName: "N"))
    var subsample = 1
    @Flag(
        help:
            "Keep the frames in a temporary file next to --out (about 90 MB per hour of speech) and stream them in every EM iteration, instead of holding them in memory."
    )
    var framesOnDisk = false
    @Option(help: ArgumentHelp("UBM file to write.", valueName: "file"))
    var out: String
    @Flag(help: "Print a JSON summary.")
    var json = false

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if subsample < 1 { throw ValidationError("--subsample must be at least 1") }
    }

    func run() async throws {
        let start = Date()
        let options = try frontEnd.apply(to: FrontEndOptions())
        let fe = try FrontEnd(options: options)
        let em = try training.options()
        try OutputLocation.prepareFile(out)
        try ModelStore.refuseReplacingSpeaker(at: out)
        let quiet = common.quiet || json
        let corpus = try background.read(quiet: quiet)
        try OutputLocation.refuseOverwriting(out, inputs: background.inputs(corpus))
        let entries = corpus.entries
        let raw = try rawAudio.format()
        let stride = background.keepEvery
        let folder = PathName.parent(of: out)
        let spill = try framesOnDisk ? FrameFile.Writer(directory: folder.isEmpty ? "." : folder, columns: options.dimension) : nil
        var spilled: FrameFile?
        // The frame file never outlives the run, whether training succeeds or fails.
        defer {
            if let spilled { spilled.remove() } else { spill?.discard() }
        }
        let loaded = try await background.loadFrames(entries, frontEnd: fe, raw: raw, threads: common.threadCount, quiet: quiet, spill: spill)
        let frames = loaded.matrix, usableFiles = loaded.usableFiles
        if usableFiles == 0 { throw CLIError("\(background.corpusNames): no usable audio") }
        if let spill { spilled = try spill.finish() }
        let frameCount = spilled?.rows ?? frames.rows
        Console.progress(
            "UBM: \(frameCount) speech frames (\(fmt(Double(frameCount * stride) * options.framing.frameShiftMs / 1000 / 3600, 2)) h\(stride > 1 ? ", every \(stride)th kept" : "")\(spilled != nil ? ", on disk" : "")) from \(usableFiles) files of \(Set(entries.map(\.speaker)).count) speakers; \(em.components) components",
            quiet: quiet)
        var trainer = EMTrainer(options: em)
        trainer.subsample = subsample
        let emStart = Date()
        let total = em.maxIterations
        trainer.progress = { @Sendable it, ll in
            if quiet { return }
            let el = Date().timeIntervalSince(emStart)
            let eta = el / Double(it + 1) * Double(total - it)
            Console.progress(
                "EM iteration \(it)/\(total): average log-likelihood \(fmt(ll, 4)) (\(fmt(el, 1)) s, ETA \(fmt(eta, 0)) s)", quiet: false)
        }
        // EM sums its statistics recording by recording, so the sharded path (init-ubm,
        // accumulate, sum-stats, update) reaches this same model bit for bit.
        let result: TrainingResult
        if let spilled {
            result = try await trainer.train(RecordingFrames(spilled, recordingRows: loaded.recordingRows), threads: common.threadCount)
        } else {
            result = try await trainer.train(RecordingFrames(frames, recordingRows: loaded.recordingRows), threads: common.threadCount)
        }
        let info = TrainingInfo(
            frames: frameCount, speechSeconds: Double(frameCount) * options.framing.frameShiftMs / 1000,
            files: usableFiles, iterations: result.iterations, converged: result.converged,
            finalLogLikelihood: result.finalLogLikelihood, seed: em.seed, em: em)
        var model = SpeakerModel(speaker: "UBM", gmm: result.model, frontEnd: options, training: info)
        model.kind = .ubm
        try ModelStore.write(model, to: out)
        let written = model
        let seconds = Date().timeIntervalSince(start)
        if json {
            print(
                SpeakerIDCLI.json([
                    "file": out, "components": em.components, "checksum": written.checksumHex,
                    "frames": frameCount, "files": usableFiles, "iterations": result.iterations,
                    "log_likelihood": result.finalLogLikelihood, "history": result.history, "run_seconds": seconds,
                ]))
        } else {
            Console.progress(
                "wrote \(out): \(em.components) components, checksum \(written.checksumHex), \(result.iterations) iterations, \(fmt(seconds, 1)) s",
                quiet: quiet)
        }
    }
}
