import ArgumentParser
import Foundation
import SpeakerID

/// `speakerid cluster ...`: drivers that run the sharded steps on a batch scheduler.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run sharded training on a batch scheduler (Slurm).",
        subcommands: [ClusterTrainUBMCommand.self])
}

struct ClusterTrainUBMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-ubm",
        abstract: "Train a UBM as Slurm jobs: init-ubm, then per EM iteration an array of accumulate tasks and a dependent sum-stats + update job.",
        discussion: """
            Writes the job scripts into --work and submits them with sbatch: one job for init-ubm, \
            then per EM iteration one 'sbatch --array=0-(N-1)' of accumulate (one task per shard) \
            and a job depending on it (afterok) that sums the shards and updates the model; the next \
            iteration depends on that. Each job calls this speakerid binary by absolute path \
            (--speakerid to override), so it must be on a file system every node sees, like --work, \
            --out and the corpora. The UBM is train-ubm's with the same options, byte for byte, \
            whatever --shards. Without --no-wait the driver waits for the jobs and reports. After a \
            failed or cancelled task, run the same command again: it keeps every model and shard \
            already written and submits only what is missing. --subsample is not available here.
            """)

    @Option(help: ArgumentHelp("Batch system (only slurm).", valueName: "name"))
    var engine = "slurm"
    @OptionGroup var background: BackgroundArguments
    @OptionGroup var training: UBMTrainingArguments
    @Option(parsing: .unconditional, help: ArgumentHelp("Shards of the corpus list: accumulate tasks per EM iteration.", valueName: "N"))
    var shards: Int
    @Option(help: ArgumentHelp("Work folder for job scripts, logs, models in training and statistics (kept for resuming).", valueName: "dir"))
    var work: String
    @Option(help: ArgumentHelp("UBM file to write.", valueName: "file"))
    var out: String
    @Option(help: ArgumentHelp("Slurm partition of every job (sbatch --partition).", valueName: "name"))
    var partition: String?
    @Option(help: ArgumentHelp("Time limit per task (sbatch --time), e.g. 30:00.", valueName: "time"))
    var time: String?
    @Option(
        help: ArgumentHelp(
            "Memory per task (sbatch --mem), e.g. 2G; accumulate needs about the shard's frames (90 MB per hour of speech) plus a few sets of statistics.",
            valueName: "size"))
    var mem: String?
    @Flag(help: "Submit and return (print the job ids) instead of waiting for the jobs.")
    var noWait = false
    @Option(help: ArgumentHelp("speakerid binary the jobs run (default: this one).", valueName: "path"))
    var speakerid: String?
    @Flag(help: "init-ubm keeps the frames in a temporary file in --work instead of in memory.")
    var framesOnDisk = false
    @Flag(help: "Decode the audio in every iteration instead of caching each shard's frames in --work/frames (about 90 MB per hour of speech).")
    var noFramesCache = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between queue polls while waiting.", valueName: "s"))
    var poll = 1.0
    @Flag(help: "Print a JSON summary.")
    var json = false

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func validate() throws {
        if engine != "slurm" {
            throw ValidationError("--engine: only slurm is supported (a Kubernetes Indexed Job equivalent is described in the README)")
        }
        if shards < 1 || shards > Shard.maximumCount { throw ValidationError("--shards must be 1-\(Shard.maximumCount)") }
        if !(poll > 0 && poll <= 600) { throw ValidationError("--poll must be more than 0 and at most 600 seconds") }
        if work.isEmpty { throw ValidationError("--work is empty; give a folder of its own for the run") }
        if PathName.absolute(work) == PathName.absolute(out) {
            throw ValidationError("--out and --work name the same path; the UBM is a file, the work folder a folder")
        }
        // sbatch's own option values: one word each, as Slurm reads them.
        for (option, value) in [("--partition", partition), ("--time", time), ("--mem", mem)] {
            if let value, value.isEmpty || value.contains(where: { $0.isWhitespace || $0.isNewline || $0.asciiValue.map { $0 < 32 } ?? false }) {
                throw ValidationError("\(option) \(value.debugDescription): Slurm takes one word here (e.g. --time 30:00, --mem 2G)")
            }
        }
    }

    func run() async throws {
        let start = Date()
        let quiet = common.quiet || json
        let options = try frontEnd.apply(to: FrontEndOptions())
        let em = try training.options()
        _ = try rawAudio.format()
        try OutputLocation.prepareFile(out)
        let corpus = try background.read(quiet: quiet)
        if corpus.entries.isEmpty { throw CLIError("\(background.corpusNames): no recordings") }
        if shards > corpus.entries.count {
            throw CLIError(
                "--shards \(shards) is more than the \(corpus.entries.count) recordings of the corpora: \(shards - corpus.entries.count) tasks would have nothing to do; give at most \(corpus.entries.count)"
            )
        }
        // The queue is asked for last: every mistake in the arguments is named first.
        let queue = try SlurmQueue()
        let plan = try SlurmPlan(
            work: work, out: out, shards: shards, rounds: em.maxIterations + 1,
            binary: speakerid ?? Self.ownExecutable(), threads: common.threadCount)
        let arguments = try taskArguments(options: options)
        try plan.prepare(parameters: [
            "arguments": (arguments.background + arguments.training + arguments.frontEnd).joined(separator: " "),
            "shards": "\(shards)", "out": plan.out, "listing": corpus.listing,
        ])

        // Jobs of an earlier submission of this run still queued: wait for them first, so
        // nothing is submitted twice.
        let earlier = plan.submittedJobs()
        if try !queue.active(earlier).isEmpty {
            Console.progress(
                "cluster: jobs of an earlier submission (\(earlier.sorted().joined(separator: ", "))) are still queued; waiting for them",
                quiet: quiet)
            try await wait(queue, earlier)
        }
        if plan.isFinished {
            let m = try ModelStore.loadUBM(path: plan.out)
            report(m, jobs: [], start: start, quiet: quiet, note: "already finished")
            return
        }
        let state = try plan.state(listing: corpus.listing)
        let jobs = try plan.submit(
            queue, state: state, arguments: arguments, sbatchOptions: sbatchOptions, framesOnDisk: framesOnDisk,
            framesCache: !noFramesCache)
        if !quiet {
            let from = state.firstRound.map { "iteration \($0)" } ?? "init-ubm"
            Console.progress(
                "cluster: submitted \(jobs.count) jobs from \(from) (\(state.missingShards.count < shards && state.firstRound != nil ? "shards \(state.missingShards.map(String.init).joined(separator: ", ")) of iteration \(state.firstRound ?? 0) missing" : "\(shards) shards per iteration")); work folder \(plan.work)",
                quiet: false)
        }
        if noWait {
            if json { print(SpeakerIDCLI.json(["work": plan.work, "jobs": jobs.map(\.json), "finished": false])) }
            return
        }
        try await wait(queue, Set(jobs.map(\.id)))
        guard plan.isFinished, let m = try? ModelStore.loadUBM(path: plan.out) else {
            throw CLIError(
                "\(plan.work): the jobs ended before the UBM was finished (\(plan.failureSummary())); run the same command again to resume")
        }
        report(m, jobs: jobs, start: start, quiet: quiet, note: nil)
    }

    /// Waits until none of `ids` is queued or running any more.
    func wait(_ queue: SlurmQueue, _ ids: Set<String>) async throws {
        while try !queue.active(ids).isEmpty {
            try await Task.sleep(nanoseconds: UInt64(poll * 1e9))
        }
    }

    func report(_ m: SpeakerModel, jobs: [SlurmPlan.Job], start: Date, quiet: Bool, note: String?) {
        let seconds = Date().timeIntervalSince(start)
        if json {
            print(
                SpeakerIDCLI.json([
                    "file": out, "checksum": m.checksumHex, "components": m.gmm.components,
                    "iterations": m.training.iterations, "converged": m.training.converged,
                    "log_likelihood": m.training.finalLogLikelihood, "frames": m.training.frames,
                    "files": m.training.files, "work": work, "jobs": jobs.map(\.json), "finished": true,
                    "run_seconds": seconds,
                ]))
        } else {
            Console.progress(
                "wrote \(out): \(m.gmm.components) components, checksum \(m.checksumHex), \(m.training.iterations) iterations\(note.map { " (\($0))" } ?? ""), \(fmt(seconds, 1)) s",
                quiet: quiet)
        }
    }

    /// The scheduler options of every job.
    var sbatchOptions: [String] {
        var o: [String] = []
        if let partition { o += ["--partition", partition] }
        if let time { o += ["--time", time] }
        if let mem { o += ["--mem", mem] }
        return o
    }

    /// The options the jobs pass on (corpora as absolute paths, the EM and front-end options),
    /// checked to mean exactly what this command was given.
    func taskArguments(options: FrontEndOptions) throws -> ClusterArguments {
        var b: [String] = []
        for spec in background.corpus {
            b += ["--corpus", PathName.absolute(spec.folder) + ":" + spec.split(or: background.split)]
        }
        b += ["--keep-every", "\(background.keepEvery)"]
        if background.skipBad { b.append("--skip-bad") }
        if let r = rawAudio.raw { b += ["--raw", "\(r.sampleRate):\(r.encoding.rawValue):\(r.channels)"] }
        let t = [
            "--components", "\(training.components)", "--iterations", "\(training.iterations)",
            "--tolerance", "\(training.tolerance)", "--variance-floor", "\(training.varianceFloor)", "--seed", "\(training.seed)",
        ]
        let fe = frontEnd.commandLine
        guard let reparsed = try? FrontEndArguments.parse(fe), (try? reparsed.apply(to: FrontEndOptions())) == options else {
            throw CLIError("cluster: cannot pass these front-end options on to the jobs; train with the defaults, or run the steps by hand")
        }
        return ClusterArguments(background: b, training: t, frontEnd: fe)
    }

    /// This process's executable, by absolute path.
    static func ownExecutable() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return PathName.absolute(CommandLine.arguments[0])
    }
}
