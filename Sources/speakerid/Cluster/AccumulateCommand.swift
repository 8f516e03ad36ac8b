import ArgumentParser
import Foundation
import SpeakerID

struct AccumulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accumulate",
        abstract: "EM statistics of one shard of a corpus under a model, as a statistics file (Kaldi's gmm-global-acc-stats).",
        discussion: """
            Shard I of N holds the recordings at positions p of the corpus list with p mod N = I: \
            a partition that depends on the list, N and I only. The statistics are exact sums, so \
            sum-stats over the N files gives, bit for bit, the statistics one process computes. \
            The frames are made with the model's front end. Memory: the shard's frames (about 90 MB \
            per hour of speech at 63 dimensions, less with --keep-every) plus two sets of statistics \
            per thread (about 6 MB each for 2,048 components).
            """)

    @Option(help: ArgumentHelp("Model the statistics are accumulated under (init-ubm, update, or a UBM).", valueName: "file"))
    var model: String
    @OptionGroup var background: BackgroundArguments
    @OptionGroup var sharding: ShardArguments
    @Option(help: ArgumentHelp("Statistics file to write.", valueName: "file"))
    var out: String
    @Option(
        help: ArgumentHelp(
            "Keep the shard's frames in this folder after the first run (about 90 MB per hour of speech) and read them in later EM iterations instead of decoding the audio again.",
            valueName: "dir"))
    var framesCache: String?
    @Flag(help: "Print a JSON summary.")
    var json = false

    @OptionGroup var frontEnd: FrontEndArguments
    @OptionGroup var rawAudio: RawAudioArguments
    @OptionGroup var common: CommonArguments

    func run() async throws {
        let start = Date()
        let m = try ModelStore.loadUBM(path: model)
        let options = try frontEnd.check(against: m.frontEnd)
        let fe = try FrontEnd(options: options)
        let shard = try sharding.parsed()
        try OutputLocation.prepareFile(out)
        let quiet = common.quiet || json
        var cachePath: String?
        if let dir = framesCache {
            if let problem = OutputLocation.prepareFolder(dir) { throw CLIError("\(dir): cannot write the frames cache (\(problem))") }
            cachePath = PathName.join(dir, "shard-\(shard.index)-of-\(shard.count).frames")
        }
        let (corpus, mine, cache, cached) = try await listingAndCache(cachePath, shard: shard, options: options, quiet: quiet)
        var frameSource = "off"
        let loaded: BackgroundFrames
        let moments: MomentAccumulator
        if let cached {
            loaded = BackgroundFrames(matrix: cached.frames, recordingRows: cached.recordingRows, usableFiles: cached.files)
            moments = cached.moments
            frameSource = "read"
        } else {
            loaded = try await background.loadFrames(
                mine, frontEnd: fe, raw: try rawAudio.format(), threads: common.threadCount, quiet: quiet,
                spill: nil)
            moments = loaded.matrix.moments()
            if let cache {
                do {
                    try FrameCache(
                        frames: loaded.matrix, recordingRows: loaded.recordingRows, files: loaded.usableFiles,
                        moments: moments
                    ).write(cache.path, key: cache.key)
                    frameSource = "written"
                } catch {
                    if !quiet { Console.warn("warning: \(error); the frames are not cached") }
                }
            }
        }
        let frames = RecordingFrames(loaded.matrix, recordingRows: loaded.recordingRows)
        let emStart = Date()
        let stats = try await EMTrainer.statistics(m.gmm, frames, threads: common.threadCount)
        let emSeconds = Date().timeIntervalSince(emStart)
        let file = StatisticsFile(
            statistics: stats, moments: moments, model: m.checksumHex, frontEnd: options,
            listing: corpus.listing, shardCount: shard.count, shards: [shard.index],
            keepEvery: background.keepEvery, files: loaded.usableFiles)
        try ModelStore.write(file, to: out)
        let seconds = Date().timeIntervalSince(start)
        if json {
            print(
                SpeakerIDCLI.json([
                    "file": out, "shard": shard.description, "frames": stats.frames, "files": loaded.usableFiles,
                    "log_likelihood": jnum(stats.averageLogLikelihood), "statistics_seconds": emSeconds, "frames_cache": frameSource,
                    "run_seconds": seconds,
                ]))
        } else {
            Console.progress(
                "wrote \(out): shard \(shard) of \(corpus.entries.count) files: \(loaded.usableFiles) files, \(stats.frames) frames, average log-likelihood \(fmt(stats.averageLogLikelihood, 4)), statistics \(fmt(emSeconds, 2)) s of \(fmt(seconds, 2)) s",
                quiet: quiet)
        }
    }

    /// The corpus listing, this shard's recordings, where its frames cache goes with the key it
    /// must carry, and the cache when it holds exactly these frames. The cache is read while the
    /// corpus is listed (in later EM iterations the two are all a task does besides the E step)
    /// and its key compared once the listing is known; a cache made for other frames is released
    /// here, before the audio is decoded again.
    func listingAndCache(
        _ cachePath: String?, shard: Shard, options: FrontEndOptions, quiet: Bool
    ) async throws
        -> (corpus: BackgroundCorpus, mine: [CorpusEntry], cache: (path: String, key: FrameCacheKey)?, cached: FrameCache?)
    {
        async let stored = Self.readCache(cachePath, threads: common.threadCount)
        let corpus = try background.read(quiet: quiet)
        let mine = shard.select(corpus.entries)
        guard let path = cachePath else { return (corpus, mine, nil, nil) }
        let key = FrameCacheKey(
            listing: corpus.listing, shard: shard.index, shardCount: shard.count, keepEvery: background.keepEvery,
            frontEnd: options, sources: Self.sourcesChecksum(mine))
        switch await stored {
        case .success(let found?) where found.key == key: return (corpus, mine, (path, key), found.cache)
        case .success: return (corpus, mine, (path, key), nil)  // none yet, or made for other frames: rebuilt by the caller
        case .failure(let error):
            if !quiet { Console.warn("warning: \(error); decoding the audio again") }
            return (corpus, mine, (path, key), nil)
        }
    }

    /// The frames cache at `path` with the key it was made for (nil: no path, or no file yet).
    static func readCache(_ path: String?, threads: Int) async -> Result<(key: FrameCacheKey, cache: FrameCache)?, any Error> {
        guard let path else { return .success(nil) }
        return Result { try FrameCache.readWithKey(path, threads: threads) }
    }

    /// A checksum of the recordings' paths, sizes and modification times (of the files links
    /// point to): a cache made before a recording changed is not used.
    static func sourcesChecksum(_ entries: [CorpusEntry]) -> String {
        var crc = CRC64()
        for e in entries {
            var st = stat()
            let found = stat(e.path, &st) == 0
            let size = found ? Int64(st.st_size) : -1
            #if canImport(Darwin)
            let modified = st.st_mtimespec
            #else
            let modified = st.st_mtim
            #endif
            let time = found ? "\(modified.tv_sec).\(modified.tv_nsec)" : "-"
            crc.update(Array("\(e.path)\t\(size)\t\(time)\n".utf8))
        }
        return String(format: "%016llx", crc.value)
    }
}
