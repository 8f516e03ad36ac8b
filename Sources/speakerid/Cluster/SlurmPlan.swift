import Foundation
import SpeakerID

/// The work folder of a cluster UBM run and the jobs that fill it:
///
///     run.json                     the run's parameters (a resumed run must match them)
///     submitted.txt                job ids submitted so far
///     jobs/*.sh                    the job scripts
///     logs/*.log                   their output
///     models/model-R.gmm           the model after R iterations (0: init-ubm's)
///     stats/round-R/shard-S.stats  statistics of shard S under model-R; all.stats their sum
///     frames/shard-S-of-N.frames   shard S's frames, cached by its first accumulate task
///     finished                     written once the UBM is at --out
///
/// Every file is written atomically by the step that makes it, so what exists is complete, and
/// a resumed run can trust it after checking it belongs (models load; statistics carry the
/// model's checksum, the shard and the file list).
struct SlurmPlan {
    let work: String
    let out: String
    let shards: Int
    /// Rounds of accumulate + update: EM iterations + 1 (the last measures the final model).
    let rounds: Int
    let binary: String
    let threads: Int

    /// A submitted job: init-ubm, an accumulate array (its tasks), or sum-stats + update.
    struct Job {
        var step: String
        var iteration: Int?
        var id: String
        var tasks: [Int]

        var json: [String: Any] {
            var o: [String: Any] = ["step": step, "job_id": id]
            if let iteration { o["iteration"] = iteration }
            if !tasks.isEmpty { o["tasks"] = tasks }
            return o
        }
    }

    /// Where the run stands: the first round with work left (nil: init-ubm has not run), and
    /// that round's shards without valid statistics.
    struct State {
        var firstRound: Int?
        var missingShards: [Int]
    }

    init(work: String, out: String, shards: Int, rounds: Int, binary: String, threads: Int) throws {
        self.work = PathName.absolute(work)
        self.out = PathName.absolute(out)
        self.shards = shards
        self.rounds = rounds
        self.binary = binary
        self.threads = threads
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw CLIError("\(binary): not an executable speakerid binary (--speakerid)")
        }
        for d in ["jobs", "logs", "models", "stats"] {
            let p = path(d)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue {
                throw CLIError("\(p): is a file; --work needs a folder of its own")
            }
            if let problem = OutputLocation.prepareFolder(p) { throw CLIError("\(self.work): cannot write the work folder (\(problem))") }
        }
        guard FileManager.default.isWritableFile(atPath: self.work) else { throw CLIError("\(self.work): the work folder is not writable") }
    }

    func path(_ name: String) -> String { PathName.join(work, name) }
    func model(_ round: Int) -> String { path("models/model-\(round).gmm") }
    func statsFolder(_ round: Int) -> String { path("stats/round-\(round)") }
    func shardStats(_ round: Int, _ shard: Int) -> String { statsFolder(round) + "/shard-\(shard).stats" }
    var finishedMarker: String { path("finished") }
    var isFinished: Bool { FileManager.default.fileExists(atPath: finishedMarker) && FileManager.default.fileExists(atPath: out) }

    /// Records the run's parameters, or checks a resumed run has the same.
    func prepare(parameters: [String: String]) throws {
        let file = path("run.json")
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        if let data = FileManager.default.contents(atPath: file) {
            guard let old = try? JSONDecoder().decode([String: String].self, from: data) else {
                throw CLIError("\(file): not a run description of speakerid cluster; use another --work folder")
            }
            let differ = Set(old.keys).union(parameters.keys).filter { old[$0] != parameters[$0] }.sorted()
            if !differ.isEmpty {
                throw CLIError(
                    "\(work): holds a run with other \(differ.joined(separator: ", ")); use another --work folder, or remove it to start over")
            }
            return
        }
        do { try enc.encode(parameters).write(to: URL(fileURLWithPath: file), options: .atomic) } catch {
            throw CLIError("\(file): cannot write (\(error.localizedDescription))")
        }
    }

    /// Job ids of earlier submissions of this run.
    func submittedJobs() -> Set<String> {
        let text = (try? String(contentsOfFile: path("submitted.txt"), encoding: .utf8)) ?? ""
        return Set(text.split(separator: "\n").map(String.init))
    }

    func recordSubmitted(_ id: String) throws {
        let file = path("submitted.txt")
        if !FileManager.default.fileExists(atPath: file) { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        guard let h = FileHandle(forWritingAtPath: file) else { throw CLIError("\(file): cannot write") }
        defer { try? h.close() }
        h.seekToEndOfFile()
        h.write(Data((id + "\n").utf8))
    }

    /// A model in training written by this run (nil if absent or not one).
    func trainingModel(_ round: Int) -> SpeakerModel? {
        guard let m = try? ModelStore.loadUBM(path: model(round)) else { return nil }
        return m
    }

    /// Where the run stands, from the files in the work folder. A model that EM finished with
    /// but that did not reach --out (the update was stopped in between) is finished here.
    func state(listing: String) throws -> State {
        guard let first = trainingModel(0), first.emProgress != nil else { return State(firstRound: nil, missingShards: Array(0..<shards)) }
        var current = first
        for r in 0..<rounds {
            if let next = trainingModel(r + 1) {
                if next.emProgress == nil {
                    try ModelStore.write(next, to: out)
                    _ = FileManager.default.createFile(atPath: finishedMarker, contents: nil)
                    return State(firstRound: r, missingShards: [])
                }
                current = next
                continue
            }
            let checksum = current.checksumHex
            let missing = (0..<shards).filter { s in
                guard let st = try? ModelStore.loadStatistics(path: shardStats(r, s)) else { return true }
                return !(st.model == checksum && st.shards == [s] && st.shardCount == shards && st.listing == listing)
            }
            return State(firstRound: r, missingShards: missing)
        }
        return State(firstRound: rounds - 1, missingShards: [])
    }

    /// Writes the job scripts and submits what `state` says is left, each step depending on
    /// the one before; returns the jobs in order.
    func submit(
        _ queue: SlurmQueue, state: State, arguments: ClusterArguments, sbatchOptions: [String],
        framesOnDisk: Bool, framesCache: Bool
    ) throws -> [Job] {
        let header = """
            #!/bin/bash
            # Written by speakerid cluster train-ubm; run by Slurm.
            set -euo pipefail
            if [ -e \(shellQuote(finishedMarker)) ]; then echo "speakerid: EM has finished; nothing to do"; exit 0; fi

            """
        let spk = shellQuote(binary)
        let common = ["--cpus-per-task", "\(threads)", "--kill-on-invalid-dep=yes"] + sbatchOptions
        var jobs: [Job] = []
        var previous: String?
        func dependency() -> [String] { previous.map { ["--dependency=afterok:\($0)"] } ?? [] }

        if state.firstRound == nil {
            let script = path("jobs/init.sh")
            let words =
                ["init-ubm"] + arguments.background + arguments.training + arguments.frontEnd
                + (framesOnDisk ? ["--frames-on-disk"] : []) + ["--out", model(0), "--threads", "\(threads)", "-q"]
            try write(script, header + "exec \(spk) \(words.map(shellQuote).joined(separator: " "))\n")
            let id = try queue.submit(script, options: common + ["-J", "spk-init", "-o", path("logs/init.log")])
            try recordSubmitted(id)
            jobs.append(Job(step: "init", iteration: nil, id: id, tasks: []))
            previous = id
        }
        for r in (state.firstRound ?? 0)..<rounds {
            try FileManager.default.createDirectory(atPath: statsFolder(r), withIntermediateDirectories: true)
            let tasks = r == state.firstRound ? state.missingShards : Array(0..<shards)
            if !tasks.isEmpty {
                let script = path("jobs/accumulate-\(r).sh")
                let words = ["accumulate", "--model", model(r)] + arguments.background
                let body =
                    "S=${SLURM_ARRAY_TASK_ID:?run as a Slurm array task}\n"
                    + "exec \(spk) \(words.map(shellQuote).joined(separator: " ")) --shard \"$S/\(shards)\" --out \(shellQuote(statsFolder(r)))/shard-\"$S\".stats"
                    + (framesCache ? " --frames-cache \(shellQuote(path("frames")))" : "") + " --threads \(threads) -q\n"
                try write(script, header + body)
                let id = try queue.submit(
                    script,
                    options: common + dependency()
                        + ["--array=\(Self.ranges(tasks))", "-J", "spk-acc-\(r)", "-o", path("logs/accumulate-\(r)-%a.log")])
                try recordSubmitted(id)
                jobs.append(Job(step: "accumulate", iteration: r, id: id, tasks: tasks))
                previous = id
            }
            let script = path("jobs/update-\(r).sh")
            let all = statsFolder(r) + "/all.stats", result = path("logs/update-\(r).json")
            let body = """
                \(spk) sum-stats -q --out \(shellQuote(all)) \((0..<shards).map { shellQuote(shardStats(r, $0)) }.joined(separator: " "))
                \(spk) update --model \(shellQuote(model(r))) --stats \(shellQuote(all)) --out \(shellQuote(model(r + 1))) --final-out \(shellQuote(out)) --json > \(shellQuote(result))
                if grep -q '"finished":true' \(shellQuote(result)); then touch \(shellQuote(finishedMarker)); fi

                """
            try write(script, header + body)
            let id = try queue.submit(script, options: common + dependency() + ["-J", "spk-upd-\(r)", "-o", path("logs/update-\(r).log")])
            try recordSubmitted(id)
            jobs.append(Job(step: "update", iteration: r, id: id, tasks: []))
            previous = id
        }
        return jobs
    }

    func write(_ script: String, _ text: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: script), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        } catch { throw CLIError("\(script): cannot write the job script (\(error.localizedDescription))") }
    }

    /// "0-3,7,9-10" for sbatch --array.
    static func ranges(_ xs: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < xs.count {
            var j = i
            while j + 1 < xs.count && xs[j + 1] == xs[j] + 1 { j += 1 }
            parts.append(i == j ? "\(xs[i])" : "\(xs[i])-\(xs[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// What is missing after the jobs ended, with the logs to read.
    func failureSummary() -> String {
        guard trainingModel(0) != nil else { return "init-ubm did not finish: see \(path("logs/init.log"))" }
        for r in 0..<rounds where trainingModel(r + 1) == nil {
            let missing = (0..<shards).filter { (try? ModelStore.loadStatistics(path: shardStats(r, $0))) == nil }
            if !missing.isEmpty {
                return
                    "iteration \(r): no statistics from shard\(missing.count == 1 ? "" : "s") \(missing.prefix(10).map(String.init).joined(separator: ", ")): see \(path("logs/accumulate-\(r)-\(missing[0]).log"))"
            }
            return "iteration \(r): the update did not finish: see \(path("logs/update-\(r).log"))"
        }
        return "no UBM at \(out)"
    }
}

/// The words each kind of job passes on to speakerid.
struct ClusterArguments {
    var background: [String]
    var training: [String]
    var frontEnd: [String]
}
