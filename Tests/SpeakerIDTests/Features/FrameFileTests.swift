import Foundation
import Testing
@testable import SpeakerID

/// Frames on disk (train-ubm --frames-on-disk) must train exactly the model the same frames
/// train in memory.
@Suite struct FrameFileTests {
    static func spill(_ m: FeatureMatrix, into dir: TempDir, pieces: Int) throws -> FrameFile {
        let w = try FrameFile.Writer(directory: dir.path, columns: m.columns)
        let step = (m.rows + pieces - 1) / pieces
        for lo in stride(from: 0, to: m.rows, by: step) { try w.append(m.slice(lo..<min(m.rows, lo + step))) }
        return try w.finish()
    }

    @Test func readsBackWhatWasWrittenAndRefusesATruncatedFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let m = mixtureSample(n: 1000, weights: [0.5, 0.5], means: [[0, 0, 0], [5, 5, 5]], sds: [[1, 1, 1], [1, 2, 3]], seed: 3)
        let f = try Self.spill(m, into: dir, pieces: 7)
        #expect(f.rows == 1000 && f.columns == 3)
        #expect(try f.frames(0..<1000) == m)
        #expect(try f.frames(123..<457) == m.slice(123..<457))
        #expect(try f.frames(at: [0, 5, 999]) == m.selecting([0, 5, 999]))
        #expect(f.summary() == m.summary())
        let (mean, variance) = m.columnMoments()
        #expect(f.summary().mean == mean && f.summary().variance == variance)
        // Named like ModelStore's temporaries, so a dead run's file is cleaned up.
        #expect(dir.contents.count == 1 && dir.contents[0].hasPrefix(".speakerid-\(getpid())-") && dir.contents[0].hasSuffix("-frames.tmp"))
        #expect(truncate(f.path, 100 * 12) == 0)
        #expect(throws: FrameFileError.self) { try f.frames(0..<1000) }
        f.remove()
        #expect(dir.contents.isEmpty)
        // A writer given up on leaves nothing.
        let w = try FrameFile.Writer(directory: dir.path, columns: 3)
        try w.append(m)
        w.discard()
        #expect(dir.contents.isEmpty)
    }

    @Test func initialisationSampleIsTheDenseShufflesPrefix() {
        var k = KMeansInitializer()
        k.minimumSample = 50
        k.framesPerComponent = 10
        // The reference: the full index array, shuffled in place.
        var r1 = SeededRandom(seed: 11), r2 = SeededRandom(seed: 11)
        let n = 1000
        var order = Array(0..<n)
        for i in 0..<50 {
            let j = i + Int(r1.next() % UInt64(n - i))
            order.swapAt(i, j)
        }
        #expect(k.sampleRows(of: n, components: 4, random: &r2) == Array(order.prefix(50)).sorted())
        #expect(r1.next() == r2.next())
        var r3 = SeededRandom(seed: 1)
        #expect(k.sampleRows(of: 40, components: 4, random: &r3) == Array(0..<40))
    }

    @Test func emOnAFrameFileEqualsEMInMemory() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        // More frames than 64 shards of one read block, so shards are read in several blocks.
        let rows = 64 * EMTrainer.readFrames + 5000
        let m = mixtureSample(n: rows, weights: [0.3, 0.3, 0.4], means: [[0, 0], [4, 0], [0, 4]], sds: [[1, 1], [0.5, 1], [1, 0.5]], seed: 7)
        let f = try Self.spill(m, into: dir, pieces: 5)
        var o = EMOptions()
        o.components = 4
        o.maxIterations = 3
        o.tolerance = 0
        for subsample in [1, 3] {
            var t = EMTrainer(options: o)
            t.subsample = subsample
            let inMemory = try await t.train(m, threads: 2)
            let onDisk = try await t.train(f, threads: 2)
            #expect(inMemory.model == onDisk.model, "subsample \(subsample)")
            #expect(inMemory.history == onDisk.history && inMemory.history.count == 4, "subsample \(subsample)")
        }
    }
}

/// The frame cache read back on any number of threads: the same frames, and every damage found.
struct FrameCacheReadTests {
    static func key(_ listing: String = "abc") -> FrameCacheKey {
        FrameCacheKey(listing: listing, shard: 0, shardCount: 1, keepEvery: 1, frontEnd: FrontEndOptions(), sources: "0")
    }

    @Test func readsBackOnAnyThreadCountAndRefusesDamage() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var r = SeededRandom(seed: 8)
        // 21,000 rows of 63: 5.3 MB, two checked pieces, the second a partial one.
        let frames = FeatureMatrix(rows: 21_000, columns: 63, values: (0..<(21_000 * 63)).map { _ in Float(r.nextGaussian()) })
        let cache = FrameCache(frames: frames, recordingRows: [20_000, 1_000], files: 2, moments: frames.moments())
        let path = dir.file("c.frames"), key = Self.key()
        try cache.write(path, key: key)
        for threads in [1, 2, 3] {
            let back = try #require(try FrameCache.read(path, key: key, threads: threads))
            #expect(back.frames == frames && back.recordingRows == [20_000, 1_000] && back.moments == cache.moments)
            let found = try #require(try FrameCache.readWithKey(path, threads: threads))
            #expect(found.key == key && found.cache.frames == frames)
        }
        #expect(try FrameCache.read(path, key: Self.key("other")) == nil)
        #expect(try FrameCache.read(dir.file("none.frames"), key: key) == nil)
        let good = try #require(FileManager.default.contents(atPath: path))
        // A flipped bit in either piece of the frames, and a cut file, are damage on every thread count.
        for offset in [good.count - 5_000_000, good.count - 100] {
            var bad = good
            bad[offset] ^= 0x10
            try bad.write(to: URL(fileURLWithPath: path))
            for threads in [1, 2] {
                #expect(throws: FrameCacheError.self) { try FrameCache.read(path, key: key, threads: threads) }
            }
        }
        try good.prefix(good.count - 9).write(to: URL(fileURLWithPath: path))
        #expect(throws: FrameCacheError.self) { try FrameCache.read(path, key: key, threads: 2) }
        // A cache of the previous version is not used (made again), not called damaged.
        var old = good
        old[8] = 1
        try old.write(to: URL(fileURLWithPath: path))
        #expect(try FrameCache.read(path, key: key) == nil)
    }

    @Test func checksumSeesOneFlippedBit() {
        var r = SeededRandom(seed: 8)
        let bytes = (0..<3000).map { _ in UInt8(truncatingIfNeeded: r.next()) }
        for i in [0, 31, 32, 1234, 2999] {
            var flipped = bytes
            flipped[i] ^= 4
            #expect(bytes.withUnsafeBytes { FastChecksum.checksum($0) } != flipped.withUnsafeBytes { FastChecksum.checksum($0) })
        }
    }
}
