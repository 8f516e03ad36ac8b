import ArgumentParser
import Foundation
import SpeakerID

struct UpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "One EM update of a UBM in training from its summed statistics (Kaldi's gmm-global-est).",
        discussion: """
            Records the average log-likelihood of the statistics, then either writes the next model \
            (maximum-likelihood update with train-ubm's variance floors, from the statistics' \
            moments, and its re-seeding of collapsed components) or, when EM has converged or \
            reached its iteration limit (options given to init-ubm), writes the finished UBM: \
            then "finished" is true and --out is exactly what train-ubm writes. Nothing here \
            depends on the machine: the random numbers of an iteration come from (seed, iteration).
            """)

    @Option(help: ArgumentHelp("Model in training (init-ubm or update) the statistics were accumulated under.", valueName: "file"))
    var model: String
    @Option(help: ArgumentHelp("Statistics of every shard under that model (sum-stats).", valueName: "file"))
    var stats: String
    @Option(help: ArgumentHelp("Model file to write: the next model, or the finished UBM.", valueName: "file"))
    var out: String
    @Option(help: ArgumentHelp("When EM finishes with this update, also write the finished UBM here.", valueName: "file"))
    var finalOut: String?
    @Flag(help: "Print a JSON summary.")
    var json = false
    @Flag(name: .shortAndLong, help: "No progress on standard error.")
    var quiet = false

    func run() throws {
        try OutputLocation.prepareFile(out)
        if let finalOut { try OutputLocation.prepareFile(finalOut) }
        let m = try ModelStore.loadUBM(path: model)
        guard var progress = m.emProgress else {
            throw CLIError("\(model): a finished UBM (no EM in progress); update continues a model written by init-ubm or update")
        }
        let s = try ModelStore.loadStatistics(path: stats)
        guard s.model == m.checksumHex else {
            throw CLIError(
                "\(stats): accumulated under another model (checksum \(s.model)) than \(model) (\(m.checksumHex)); accumulate under \(model)")
        }
        guard s.frontEnd == m.frontEnd else {
            throw CLIError("\(stats): made with another front end than \(model) (\(FrontEndOptions.differences(m.frontEnd, s.frontEnd)))")
        }
        let missing = s.missingShards
        guard missing.isEmpty else {
            throw CLIError(
                "\(stats): holds \(s.shards.count) of \(s.shardCount) shards; missing \(missing.prefix(20).map { "\($0)/\(s.shardCount)" }.joined(separator: ", "))\(missing.count > 20 ? ", ..." : ""); add every shard's statistics (sum-stats)"
            )
        }
        let em = m.training.em
        let step = try EMStep(options: em, moments: s.moments)
        let outcome = try step.advance(m.gmm, statistics: s.statistics, progress: &progress)
        let frames = s.statistics.frames
        let speech = Double(frames) * m.frontEnd.framing.frameShiftMs / 1000
        let ll = progress.history.last ?? .nan
        var next: SpeakerModel
        var converged = false
        switch outcome {
        case .next(let g):
            next = SpeakerModel(
                speaker: m.speaker, gmm: g, frontEnd: m.frontEnd,
                training: TrainingInfo(
                    frames: frames, speechSeconds: speech, files: s.files, iterations: progress.history.count,
                    converged: false, finalLogLikelihood: ll, seed: em.seed, em: em))
            next.emProgress = progress
        case .finished(let c):
            converged = c
            // Exactly what train-ubm writes: the model the statistics were accumulated under.
            next = SpeakerModel(
                speaker: m.speaker, gmm: m.gmm, frontEnd: m.frontEnd,
                training: TrainingInfo(
                    frames: frames, speechSeconds: speech, files: s.files, iterations: progress.history.count - 1,
                    converged: c, finalLogLikelihood: ll, seed: em.seed, em: em))
        }
        next.kind = .ubm
        try ModelStore.write(next, to: out)
        let finished = next.emProgress == nil
        if finished, let finalOut { try ModelStore.write(next, to: finalOut) }
        let written = try ModelStore.load(path: out)
        if json {
            print(
                SpeakerIDCLI.json([
                    "file": out, "checksum": written.checksumHex, "iterations": next.training.iterations,
                    "log_likelihood": ll, "history": progress.history, "converged": converged, "finished": finished,
                ]))
        } else {
            let what = finished ? "finished UBM (\(converged ? "converged" : "iteration limit"))" : "model after iteration \(progress.history.count)"
            Console.progress(
                "wrote \(out): \(what); average log-likelihood under \(model) \(fmt(ll, 4)); checksum \(written.checksumHex)", quiet: quiet)
        }
    }
}
