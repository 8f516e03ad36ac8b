import ArgumentParser
import Foundation
import SpeakerID

struct InitUBMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-ubm",
        abstract: "Start training a UBM in steps: the initial model (k-means on a seeded sample of the frames).",
        discussion: """
            The first of the sharded steps: init-ubm, then per EM iteration accumulate (one run per \
            shard, on any machines), sum-stats and update, until update says the model is finished. \
            With the same corpora, components, seed and iterations, the finished UBM is train-ubm's, \
            byte for byte, whatever the number of shards. init-ubm reads every recording once (the \
            sample is drawn from all frames) and keeps the frames in memory, or with \
            --frames-on-disk in a temporary file next to --out. train-ubm's --subsample has no \
            sharded equivalent.
            """)

    @OptionGroup var background: BackgroundArguments
    @OptionGroup var training: UBMTrainingArguments
    @Flag(help: "Keep the frames in a temporary file next to --out instead of in memory.")
    var framesOnDisk = false
    @Option(help: ArgumentHelp("Initial model file to write.", valueName: "file"))
    var out: String
    @Flag(help: "Print a JSON summary.")
    var json = false

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

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
        let folder = PathName.parent(of: out)
        let spill = try framesOnDisk ? FrameFile.Writer(directory: folder.isEmpty ? "." : folder, columns: options.dimension) : nil
        var spilled: FrameFile?
        defer {
            if let spilled { spilled.remove() } else { spill?.discard() }
        }
        let loaded = try await background.loadFrames(
            corpus.entries, frontEnd: fe, raw: try rawAudio.format(), threads: common.threadCount,
            quiet: quiet, spill: spill)
        if loaded.usableFiles == 0 { throw CLIError("\(background.corpusNames): no usable audio") }
        if let spill { spilled = try spill.finish() }
        let trainer = EMTrainer(options: em)
        let initial: DiagGMM
        if let spilled {
            initial = try trainer.initialize(RecordingFrames(spilled, recordingRows: loaded.recordingRows)).model
        } else {
            initial = try trainer.initialize(RecordingFrames(loaded.matrix, recordingRows: loaded.recordingRows)).model
        }
        let frames = loaded.recordingRows.reduce(0, +)
        let info = TrainingInfo(
            frames: frames, speechSeconds: Double(frames) * options.framing.frameShiftMs / 1000,
            files: loaded.usableFiles, iterations: 0, converged: false, finalLogLikelihood: 0, seed: em.seed, em: em)
        var model = SpeakerModel(speaker: "UBM", gmm: initial, frontEnd: options, training: info)
        model.kind = .ubm
        model.emProgress = EMProgress()
        try ModelStore.write(model, to: out)
        let written = try ModelStore.load(path: out)
        let seconds = Date().timeIntervalSince(start)
        if json {
            print(
                SpeakerIDCLI.json([
                    "file": out, "components": em.components, "checksum": written.checksumHex,
                    "frames": frames, "files": loaded.usableFiles, "run_seconds": seconds,
                ]))
        } else {
            Console.progress(
                "wrote \(out): initial \(em.components)-component model from \(frames) frames of \(loaded.usableFiles) files, checksum \(written.checksumHex), \(fmt(seconds, 1)) s",
                quiet: quiet)
        }
    }
}
