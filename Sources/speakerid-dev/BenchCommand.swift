import ArgumentParser
import Foundation
import SpeakerID
import SpeakerIDDemo

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (JSON lines; deterministic data from a seed).",
        subcommands: [BenchFeatures.self, BenchEM.self, BenchScore.self, BenchGEMM.self, BenchEncoder.self])
}

/// The machine facts every benchmark prints beside its figures: which product kernel ran,
/// which core OpenBLAS chose, and the peak, measured once per run (ComputeReport).
enum MachinePeak {
    static let report = ComputeReport.measure()

    /// (GFLOP/s for `threads` cores, how it was found)
    static func estimate(threads: Int) -> (Double, String) {
        (
            Double(threads) * report.peakGflopsPerCore,
            "\(threads) core(s) x \(String(format: "%.1f", report.peakGflopsPerCore)) GFLOP/s, measured with FMA chains on the \(report.kernel.rawValue) kernel's vector width"
        )
    }

    /// The keys every benchmark line carries: kernel, OpenBLAS core, peak and how it was found;
    /// with the rate reached, also `gflops` and `fraction_of_peak`.
    static func fields(threads: Int, gflops: Double? = nil) -> [String: Any] {
        let (peak, how) = estimate(threads: threads)
        var f: [String: Any] = ["kernel": report.kernel.rawValue, "openblas_core": report.openBLASCore, "peak_gflops": peak, "peak_method": how]
        if let gflops {
            f["gflops"] = gflops
            f["fraction_of_peak"] = gflops / peak
        }
        return f
    }
}

struct BenchFeatures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Real-time factor of the MFCC front end, from decoded audio and from files on disk.")

    @Option(parsing: .unconditional, help: "Seconds of audio (cut into 60-s files).") var seconds: Double = 600
    @Option(parsing: .unconditional, help: "Sample rate in Hz.") var rate = 16000
    @Option(parsing: .unconditional, help: "Worker threads.") var threads = 1
    @Option(parsing: .unconditional, help: "Repetitions; the fastest is reported.") var repeats = 3
    @Option(help: "Folder to write (or reuse) the benchmark WAV files in.") var audioDir: String?
    @Option(parsing: .unconditional, help: "Random seed of the synthetic audio.") var seed: UInt64 = 1
    @Flag(help: "JSON lines (the default; kept for symmetry with the other commands).") var json = false

    func run() async throws {
        let chunk = 60.0
        let files = max(1, Int((seconds / chunk).rounded(.up)))
        let dir = audioDir ?? PathName.join(NSTemporaryDirectory(), "speakerid-bench-\(rate)-\(Int(seconds))-\(seed)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var audio: [[Float]] = []
        var paths: [String] = []
        for i in 0..<files {
            let len = min(chunk, seconds - Double(i) * chunk)
            let path = PathName.join(dir, String(format: "bench-%03d.wav", i))
            if FileManager.default.fileExists(atPath: path) {
                audio.append(try AudioDecoder(path: path).readAll())
            } else {
                let s = SyntheticSpeech.generate(seconds: len, sampleRate: rate, seed: seed &+ UInt64(i))
                try AudioWriter.write(s, sampleRate: rate, to: path)
                audio.append(try AudioDecoder(path: path).readAll())  // the 16-bit values, as peers read them
            }
            paths.append(path)
        }
        var o = FrontEndOptions()
        o.framing.sampleRate = rate
        let fe = try FrontEnd(options: o)
        let total = audio.reduce(0) { $0 + $1.count }
        let audioSeconds = Double(total) / Double(rate)
        let decoded = audio, filePaths = paths
        var bestMem = Double.infinity, bestDisk = Double.infinity
        var frames = 0
        for _ in 0..<max(1, repeats) {
            let t0 = Date()
            let r = try await parallelMap(count: decoded.count, threads: threads) { i in
                try fe.features(samples: decoded[i], name: "chunk \(i)").totalFrames
            }
            bestMem = min(bestMem, Date().timeIntervalSince(t0))
            frames = r.reduce(0, +)
            let t1 = Date()
            _ = try await parallelMap(count: filePaths.count, threads: threads) { i in
                try fe.features(of: .file(filePaths[i])).totalFrames
            }
            bestDisk = min(bestDisk, Date().timeIntervalSince(t1))
        }
        // Arithmetic per frame, counted roughly: real FFT 2.5 N log2 N, DC removal, energy,
        // pre-emphasis and window 8 L, power 3 per bin, filterbank 4 per bin (each bin feeds
        // two triangles), DCT 2 M R, deltas 2 levels x S x (3 x 2W + 1).
        let n = Double(o.framing.fftSize), bins = n / 2 + 1
        let flopsPerFrame =
            2.5 * n * log2(n) + 8 * Double(o.framing.frameLength) + 7 * bins
            + 2 * Double(o.filterbank.filters * (o.staticDimension)) + 2 * Double(o.staticDimension * (6 * o.deltas.window + 1))
        let (peak, _) = MachinePeak.estimate(threads: threads)
        let common = MachinePeak.fields(threads: threads).merging(
            [
                "benchmark": "features", "audio_seconds": audioSeconds, "sample_rate": rate,
                "threads": threads, "frames": frames, "audio_dir": dir, "flops_per_frame_estimate": flopsPerFrame,
                "fft_plan": fe.fftPlanSource.rawValue,
                "options": "20 ms Hamming, 10 ms hop, FFT \(o.framing.fftSize), 24 mel filters, c0-c20 + deltas + delta-deltas, energy VAD, CMN",
            ]) { $1 }
        var mem = common
        mem["source"] = "decoded"
        mem["run_seconds"] = bestMem
        mem["realtime_factor"] = audioSeconds / bestMem
        mem["fraction_of_peak"] = Double(frames) * flopsPerFrame / bestMem / 1e9 / peak
        print(jsonLine(mem))
        var disk = common
        disk["source"] = "wav files through libsndfile"
        disk["run_seconds"] = bestDisk
        disk["realtime_factor"] = audioSeconds / bestDisk
        disk["fraction_of_peak"] = Double(frames) * flopsPerFrame / bestDisk / 1e9 / peak
        print(jsonLine(disk))
    }
}

/// Random frames drawn from a random mixture (deterministic from the seed).
/// The process's peak resident memory so far (Linux reports kilobytes).
func peakMemoryBytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss) * 1024
}

func syntheticFrames(rows: Int, dim: Int, seed: UInt64) -> FeatureMatrix {
    var rng = SeededRandom(seed: seed)
    let centres = 16
    let mu = (0..<(centres * dim)).map { _ in Float(rng.nextGaussian() * 3) }
    var v = [Float](repeating: 0, count: rows * dim)
    for t in 0..<rows {
        let c = Int(rng.next() % UInt64(centres))
        for d in 0..<dim { v[t * dim + d] = mu[c * dim + d] + Float(rng.nextGaussian()) }
    }
    return FeatureMatrix(rows: rows, columns: dim, values: v)
}

struct BenchEM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "em", abstract: "Seconds per EM iteration (E and M step) on random frames.")

    @Option var frames = 200_000
    @Option var dim = 39
    @Option var components = 256
    @Option var iterations = 5
    @Option var threads = 1
    @Option var seed: UInt64 = 1
    @Flag var json = false

    func run() async throws {
        let data = syntheticFrames(rows: frames, dim: dim, seed: seed)
        var em = EMOptions()
        em.components = components
        em.maxIterations = iterations
        em.tolerance = 0
        em.seed = seed
        var random = SeededRandom(seed: seed)
        let floor = columnVariances(data).map { $0 * 0.01 }
        var model = try KMeansInitializer().initialGMM(data, components: components, varianceFloor: floor, random: &random)
        let update = MaximumLikelihoodUpdate(varianceFloor: floor)
        let t0 = Date()
        for _ in 0..<iterations {
            let s = try await EMTrainer.statistics(model, data, threads: threads)
            model = try update.apply(s, to: model).model
        }
        let per = Date().timeIntervalSince(t0) / Double(iterations)
        // Matrix-product flops per iteration: E step 2 products, M step 2 products, each 2NKD.
        let flops = 4 * 2 * Double(frames) * Double(components) * Double(dim)
        print(
            jsonLine(
                MachinePeak.fields(threads: threads, gflops: flops / per / 1e9).merging([
                    "benchmark": "em", "frames": frames, "dimension": dim, "components": components, "threads": threads,
                    "iterations": iterations, "seconds_per_iteration": per,
                    "frame_components_per_second": Double(frames) * Double(components) / per,
                ]) { $1 }))
    }
}

struct BenchScore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Seconds to score frames against many models.")

    @Option(parsing: .unconditional, help: "Models to score.") var models = 100
    @Option(parsing: .unconditional, help: "Components per model.") var components = 64
    @Option(parsing: .unconditional, help: "Synthetic frames to score (100 per second of speech).") var frames = 100_000
    @Option(parsing: .unconditional, help: "Feature dimension.") var dim = 39
    @Option(parsing: .unconditional, help: "Worker threads.") var threads = 1
    @Option(parsing: .unconditional, help: "Random seed of the synthetic models and frames.") var seed: UInt64 = 1
    @Option(
        parsing: .unconditional,
        help: "Score log-likelihood ratios of models adapted from one UBM with this top-C (0: exact); default: plain GMM scoring.")
    var topC: Int?
    @Option(
        help: ArgumentHelp(
            "With --top-c: also write the synthetic UBM (ubm.gmm) and speaker models to this new folder, for timing identify on that many models (needs --dim 63, the default front end's).",
            valueName: "dir"))
    var writeModels: String?
    @Option(parsing: .unconditional, help: "With --top-c: repetitions of the scoring; the fastest is reported.") var repeats = 1
    @Flag var json = false

    func validate() throws {
        for (name, value) in [
            ("--models", models), ("--components", components), ("--frames", frames), ("--dim", dim),
            ("--threads", threads), ("--repeats", repeats),
        ] where value < 1 {
            throw ValidationError("\(name) must be at least 1 (got \(value))")
        }
        if let topC, topC < 0 { throw ValidationError("--top-c must be 0 (exact) or more (got \(topC))") }
        if repeats != 1 && topC == nil { throw ValidationError("--repeats needs --top-c (plain scoring runs once, as its peer does)") }
        if writeModels != nil {
            guard topC != nil else { throw ValidationError("--write-models needs --top-c (it writes MAP-style models of one UBM)") }
            guard dim == FrontEndOptions().dimension else {
                throw ValidationError(
                    "--write-models needs --dim \(FrontEndOptions().dimension), the default front end's dimension, so identify can score the models")
            }
        }
    }

    func run() async throws {
        let data = syntheticFrames(rows: frames, dim: dim, seed: seed)
        var rng = SeededRandom(seed: seed &+ 7)
        if let topC {
            // A random UBM and speakers whose means are shifted from it, as MAP adaptation does.
            let w = [Float](repeating: 1 / Float(components), count: components)
            let mu = (0..<(components * dim)).map { _ in Float(rng.nextGaussian() * 3) }
            let va = (0..<(components * dim)).map { _ in Float(0.5 + rng.nextUnit()) }
            let ubm = try DiagGMM(weights: w, means: mu, variances: va, dimension: dim)
            let spk = try (0..<models).map { _ in
                try DiagGMM(weights: w, means: mu.map { $0 + Float(0.3 * rng.nextGaussian()) }, variances: va, dimension: dim)
            }
            if let writeModels { try Self.write(ubm: ubm, speakers: spk, to: writeModels) }
            // One part of the frames per thread, each scored as one clip (per clip, a speaker's
            // means are read once per 20 s of speech: `SharedVarianceScoring`).
            let blocks = max(1, min(threads, frames))  // no thread gets an empty part
            let per = (frames + blocks - 1) / blocks
            let scorer = try UBMScorer(ubm: ubm, speakers: spk, topC: topC)
            var sec = Double.infinity
            var parts: [[Double]] = []
            for _ in 0..<repeats {
                let t0 = Date()
                parts = try await parallelMap(count: blocks, threads: threads) { b in
                    let r = min(frames, b * per)..<min(frames, (b + 1) * per)
                    return scorer.scores(data.slice(r)).map { $0 * Double(r.count) }
                }
                sec = min(sec, Date().timeIntervalSince(t0))
            }
            let checksum = parts.flatMap { $0 }.reduce(0, +)
            // Per frame: the UBM on every component (a product of 2D + 1), then each speaker on
            // its C components (top-C) or every component (exact).
            let scored = topC > 0 ? min(topC, components) : components
            let flops = Double(frames) * (2 * Double(components * (2 * dim + 1)) + 2 * Double(models * scored * (topC > 0 ? dim : 2 * dim + 1)))
            print(
                jsonLine(
                    MachinePeak.fields(threads: threads, gflops: flops / sec / 1e9).merging([
                        "benchmark": "score-ubm", "models": models, "components": components, "frames": frames, "dimension": dim,
                        "threads": threads, "top_c": topC, "run_seconds": sec, "score_sum": checksum,
                        "seconds_per_second_of_speech": sec / (Double(frames) / 100), "peak_memory_bytes": peakMemoryBytes(),
                    ]) { $1 }))
            return
        }
        let gmms: [DiagGMM] = try (0..<models).map { _ in
            let w = [Float](repeating: 1 / Float(components), count: components)
            let mu = (0..<(components * dim)).map { _ in Float(rng.nextGaussian() * 3) }
            let va = (0..<(components * dim)).map { _ in Float(0.5 + rng.nextUnit()) }
            return try DiagGMM(weights: w, means: mu, variances: va, dimension: dim)
        }
        // Threads take blocks of frames; each block is scored against every model.
        let blocks = max(1, threads * 4)
        let per = (frames + blocks - 1) / blocks
        let t0 = Date()
        let parts = try await parallelMap(count: blocks, threads: threads) { b in
            DiagGMM.frameLogLikelihoods(gmms, data.slice(min(frames, b * per)..<min(frames, (b + 1) * per))).map { $0.reduce(0, +) }
        }
        let scores = (0..<models).map { m in parts.reduce(0) { $0 + $1[m] } / Double(frames) }
        let sec = Date().timeIntervalSince(t0)
        let flops = 2 * 2 * Double(frames) * Double(components) * Double(dim) * Double(models)
        print(
            jsonLine(
                MachinePeak.fields(threads: threads, gflops: flops / sec / 1e9).merging([
                    "benchmark": "score", "models": models, "components": components, "frames": frames, "dimension": dim,
                    "threads": threads, "run_seconds": sec, "score_sum": scores.reduce(0, +),
                ]) { $1 }))
    }
}

/// OpenBLAS's sgemm against a hand-written, register-blocked C kernel on the scoring product's
/// shape (a block of augmented frames times a model's scoring matrix).
extension BenchScore {
    /// The synthetic UBM and its speakers as model files: speakers `synthetic-00001`... adapted
    /// (in their means) from `ubm.gmm`, with the default front end.
    static func write(ubm: DiagGMM, speakers: [DiagGMM], to folder: String) throws {
        if FileManager.default.fileExists(atPath: folder) {
            throw ValidationError("\(folder) already exists; --write-models writes a new folder")
        }
        let info = TrainingInfo(
            frames: 0, speechSeconds: 0, files: 0, iterations: 0, converged: true,
            finalLogLikelihood: 0, seed: 0, em: EMOptions())
        var u = SpeakerModel(speaker: "ubm", gmm: ubm, frontEnd: FrontEndOptions(), training: info)
        u.kind = .ubm
        let store = ModelStore(directory: folder)
        try store.prepareDirectory()
        try ModelStore.write(u, to: PathName.join(folder, "ubm.gmm"))
        let reference = UBMReference(checksum: u.checksumHex, components: ubm.components, relevance: 16, adapted: "m")
        let width = String(speakers.count).count
        for (i, g) in speakers.enumerated() {
            let digits = String(i + 1)
            var m = SpeakerModel(
                speaker: "synthetic-" + String(repeating: "0", count: max(0, width - digits.count)) + digits,
                gmm: g, frontEnd: FrontEndOptions(), training: info)
            m.ubm = reference
            _ = try store.save(m)
        }
    }
}

struct BenchGEMM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm", abstract: "GFLOP/s of OpenBLAS sgemm and of SpeakerID's own kernel (the one every product uses) on the scoring shape.")

    @Option(parsing: .unconditional, help: "Frames per block (rows).") var rows = 256
    @Option(parsing: .unconditional, help: "Components (columns).") var components = 64
    @Option(parsing: .unconditional, help: "Inner dimension: 2D + 1 for D-dimensional features.") var inner = 79
    @Option(parsing: .unconditional, help: "Seconds to run each.") var seconds = 1.0

    func run() throws {
        var rng = SeededRandom(seed: 3)
        let a = (0..<(rows * inner)).map { _ in Float(rng.nextGaussian()) }
        let b = (0..<(components * inner)).map { _ in Float(rng.nextGaussian()) }
        var bt = [Float](repeating: 0, count: inner * components)
        for k in 0..<components { for p in 0..<inner { bt[p * components + k] = b[k * inner + p] } }
        var c1 = [Float](repeating: 0, count: rows * components), c2 = c1
        let flops = 2.0 * Double(rows * components * inner)
        func time(_ body: () -> Void) -> Double {
            var n = 0
            let t0 = Date()
            while Date().timeIntervalSince(t0) < seconds {
                body()
                n += 1
            }
            return Double(n) * flops / Date().timeIntervalSince(t0) / 1e9
        }
        let blas = time { GEMMKernels.blas(a, b, &c1, rows, inner, components) }
        let own = time { GEMMKernels.own(a, bt, &c2, rows, inner, components) }
        let diff = zip(c1, c2).map { abs($0 - $1) }.max() ?? 0
        let (peak, _) = MachinePeak.estimate(threads: 1)
        print(
            jsonLine(
                MachinePeak.fields(threads: 1).merging(
                    [
                        "benchmark": "gemm", "rows": rows, "components": components, "inner": inner,
                        "openblas_gflops": blas, "own_kernel_gflops": own, "max_abs_difference": Double(diff),
                        "openblas_fraction_of_peak": blas / peak, "own_kernel_fraction_of_peak": own / peak,
                        "faster": blas >= own ? "openblas" : "own",
                    ]) { $1 }))
    }
}

struct BenchEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "Seconds of audio a second the speaker encoder embeds on one thread (mel spectrogram and network), per clip length.",
        discussion: """
            Clips of seeded noise at 16 kHz, already preprocessed (no level normalisation or \
            silence trimming), so the work is the same as resemblyzer's embed_utterance on the same \
            waveform (Tests/Benchmarks/encoder_speed.sh runs both). A 2-s clip is a turn of a \
            conversation (two windows, as track embeds them); a 10-s clip a whole file (12 windows \
            in one batch).
            """)

    @Option(help: "The encoder file (default: $SPEAKERID_ENCODER, else `speakerid encoder fetch`'s file).") var encoder: String?
    @Option(parsing: .unconditional, help: "Comma-separated clip lengths in seconds.") var clipSeconds = "2,10"
    @Option(parsing: .unconditional, help: "Seconds of audio embedded per clip length and repeat.") var seconds: Double = 60
    @Option(parsing: .unconditional, help: "Repetitions; the fastest is reported.") var repeats = 3
    @Option(parsing: .unconditional, help: "Random seed of the noise.") var seed: UInt64 = 1

    func run() throws {
        guard let path = encoder ?? EncoderFile.defaultPath() else { throw DevError("no encoder file: give --encoder or set HOME") }
        let model = try SpeakerEncoder.load(path: path)
        let parsed = clipSeconds.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        let lengths = parsed.compactMap { $0 }
        guard !lengths.isEmpty, lengths.count == parsed.count, lengths.allSatisfy({ $0 >= 0.1 && $0 <= 600 }), seconds > 0, repeats >= 1 else {
            throw DevError("--clip-seconds takes lengths of 0.1-600 s, --seconds more than 0 and --repeats at least 1")
        }
        var rng = SeededRandom(seed: seed)
        for length in lengths {
            let samples = Int(length * Double(SpeakerEncoder.sampleRate))
            let count = max(1, Int((seconds / length).rounded(.up)))
            let clips = (0..<count).map { _ in (0..<samples).map { _ in Float(rng.nextGaussian() * 0.1) } }
            let windows = clips.reduce(0) { $0 + SpeakerEncoder.windowStarts(samples: $1.count).count }
            var best = Double.infinity
            for _ in 0..<repeats {
                let t0 = DispatchTime.now().uptimeNanoseconds
                for clip in clips { _ = model.embed(preprocessed: clip) }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            let audio = Double(count * samples) / Double(SpeakerEncoder.sampleRate)
            let gflops = Double(windows) * model.flopsPerWindow / best / 1e9
            print(
                jsonLine(
                    MachinePeak.fields(threads: 1, gflops: gflops).merging(
                        [
                            "benchmark": "encoder", "threads": 1, "clip_seconds": length, "clips": count, "windows": windows,
                            "audio_seconds": audio, "seconds": best, "real_time_factor": audio / best,
                            "ms_per_audio_second": best / audio * 1000,
                        ]) { $1 }))
        }
    }
}
