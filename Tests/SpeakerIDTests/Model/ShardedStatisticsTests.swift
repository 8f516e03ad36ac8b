import Foundation
import Testing
@testable import SpeakerID

/// Statistics accumulated on shards of the recordings and summed (issue #17) must give EM
/// exactly the model one process gives, whatever the shard count, the order of the sums or
/// the thread count; the statistics file must refuse damage and wrong sums.
struct ShardedStatisticsTests {
    /// Recordings of different lengths (some shorter than a scoring block, some longer than a
    /// statistics piece) drawn from a 3-component mixture.
    static func recordings(_ count: Int = 37, seed: UInt64 = 5) -> [FeatureMatrix] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { i in
            let n = 40 + Int(rng.next() % 9000)
            return mixtureSample(
                n: n, weights: [0.3, 0.3, 0.4], means: [[0, 0, 1], [4, 0, -2], [0, 4, 3]],
                sds: [[1, 1, 2], [0.5, 1, 1], [1, 0.5, 0.7]], seed: seed &+ UInt64(i) &* 7919)
        }
    }

    static func pooled(_ recs: [FeatureMatrix]) -> RecordingFrames<FeatureMatrix> {
        RecordingFrames(FeatureMatrix.concatenate(recs)!, recordingRows: recs.map(\.rows))
    }

    /// What `accumulate` writes for shard `shard` of the recordings, read back from its bytes.
    static func shardFile(_ model: SpeakerModel, _ recs: [FeatureMatrix], _ shard: Shard, threads: Int) async throws -> StatisticsFile {
        let mine = shard.select(recs)
        let frames = pooled(mine)
        let s = StatisticsFile(
            statistics: try await EMTrainer.statistics(model.gmm, frames, threads: threads),
            moments: try frames.moments(), model: model.checksumHex, frontEnd: model.frontEnd,
            listing: "test", shardCount: shard.count, shards: [shard.index], keepEvery: 1, files: mine.count)
        return try StatisticsFile.decode(try s.encode(), name: "shard-\(shard.index).stats")
    }

    static func asModel(_ g: DiagGMM, progress: EMProgress?) -> SpeakerModel {
        var fe = FrontEndOptions()
        fe.cepstral.coefficients = 2
        fe.deltas.order = 0  // dimension 3: c0, c1, c2
        var m = SpeakerModel(
            speaker: "UBM", gmm: g, frontEnd: fe,
            training: TrainingInfo(
                frames: 0, speechSeconds: 0, files: 0, iterations: 0, converged: false,
                finalLogLikelihood: 0, seed: 0, em: EMOptions()))
        m.kind = .ubm
        m.emProgress = progress
        return m
    }

    @Test(arguments: [1, 4, 16])
    func shardedEMEqualsOneProcessBitForBit(shards: Int) async throws {
        let recs = Self.recordings()
        var o = EMOptions()
        o.components = 8
        o.maxIterations = 4
        o.tolerance = 0
        o.seed = 3
        let reference = try await EMTrainer(options: o).train(Self.pooled(recs), threads: 2)
        #expect(reference.history.count == 5)

        // init-ubm's model, then rounds of accumulate (one file per shard), sum-stats (shards
        // summed in reverse order, as a tree of pairs for 16), update.
        let (initial, step) = try EMTrainer(options: o).initialize(Self.pooled(recs))
        var model = initial
        var progress = EMProgress()
        var converged: Bool?
        for _ in 0..<10 {
            let m = Self.asModel(model, progress: progress)
            var files: [StatisticsFile] = []
            for i in 0..<shards { files.append(try await Self.shardFile(m, recs, try Shard(index: i, count: shards), threads: 1 + i % 3)) }
            var level = Array(files.reversed())
            while level.count > 1 {
                var next: [StatisticsFile] = []
                for p in Swift.stride(from: 0, to: level.count, by: 2) {
                    var a = level[p]
                    if p + 1 < level.count { try a.merge(level[p + 1], name: "a", otherName: "b") }
                    next.append(a)
                }
                level = next
            }
            let all = try #require(level.first)
            #expect(all.missingShards.isEmpty && all.files == recs.count)
            // The variance floor from the summed moments is the one-process floor.
            let floor = try EMStep(options: o, moments: all.moments).varianceFloor
            #expect(floor == step.varianceFloor)
            switch try step.advance(model, statistics: all.statistics, progress: &progress) {
            case .next(let g): model = g
            case .finished(let c): converged = c
            }
            if converged != nil { break }
        }
        #expect(converged == reference.converged)
        #expect(progress.history == reference.history)
        #expect(model == reference.model)
    }

    @Test func statisticsAreTheSameForAnyPartitionOrThreadCount() async throws {
        let recs = Self.recordings(12, seed: 9)
        let g = try GMMTests.randomGMM(K: 6, D: 3, seed: 4)
        let frames = Self.pooled(recs)
        let one = try await EMTrainer.statistics(g, frames, threads: 1)
        let five = try await EMTrainer.statistics(g, frames, threads: 5)
        #expect(one == five)
        // By recording, merged in any order.
        var merged = GMMStatistics(components: 6, dimension: 3)
        for r in recs.reversed() { merged.merge(try await EMTrainer.statistics(g, r, threads: 1)) }
        #expect(merged == one)
        #expect(one.frames == frames.rows && abs(one.occupancy.reduce(0, +) - Double(frames.rows)) < 1e-6 * Double(frames.rows))
        // Moments likewise, and close to the Double row-order moments.
        var m = MomentAccumulator(columns: 3)
        for r in recs.reversed() { m.add(r) }
        #expect(try m == frames.moments())
        let (mean, variance) = frames.base.columnMoments()
        for c in 0..<3 {
            #expect(abs(m.mean[c] - mean[c]) < 1e-12 && abs(m.variance[c] - variance[c]) < 1e-9 * variance[c])
        }
    }

    @Test func exactSumsAddInAnyOrderAndKeepTheirValue() {
        let xs: [Double] = [1e12, -3.25, 1e-9, 7, -1e12, 0.1, 123456.789, -0.000001, 2e15, -2e15 + 1]
        var a = ExactSum(), b = ExactSum()
        for x in xs { a += ExactSum(x)! }
        for x in xs.reversed() { b += ExactSum(x)! }
        #expect(a == b)
        // The true sum (the large terms cancel), which Double summation in either order misses.
        let expected = -3.25 + 1e-9 + 7 + 0.1 + 123456.789 - 0.000001 + 1
        #expect(abs(a.value - expected) < 1e-9)
        #expect(abs(xs.reduce(0, +) - expected) > 1e-3)
        for x in [0.0, -1, 1e-20, -5e20, 3.5e22, -0.5] {
            #expect(ExactSum(x).map { abs($0.value - x) <= max(1e-15, 1e-15 * abs(x)) } == true, "\(x)")
        }
        #expect(ExactSum(.nan) == nil && ExactSum(.infinity) == nil && ExactSum(1e30) == nil)
        // Round trip through the file's varints, both signs, both words.
        for x in [0.0, 1, -1, 1e-10, -3e20, 3.75e22, -123.5] {
            var bytes: [UInt8] = []
            bytes.appendVarint(ExactSum(x)!)
            var r = VarintReader(bytes: bytes, offset: 0, end: bytes.count)
            #expect((try? r.values(1, name: "x"))?.first == ExactSum(x)!, "\(x)")
        }
    }

    static func sampleFile(shard: Int = 0, of count: Int = 2, model: String = "00000000000000aa") throws -> StatisticsFile {
        let g = try GMMTests.randomGMM(K: 3, D: 3, seed: 1)
        let x = mixtureSample(n: 300, weights: [1], means: [[0, 0, 0]], sds: [[1, 1, 1]], seed: UInt64(shard + 2))
        var s = GMMStatistics(components: 3, dimension: 3)
        s.accumulate(g, x, rows: 0..<300)
        var fe = FrontEndOptions()
        fe.cepstral.coefficients = 2
        fe.deltas.order = 0
        return StatisticsFile(
            statistics: s, moments: x.moments(), model: model, frontEnd: fe, listing: "abc",
            shardCount: count, shards: [shard], keepEvery: 1, files: 1)
    }

    @Test func everyTruncationAndFlippedByteIsRefused() throws {
        let bytes = try Self.sampleFile().encode()
        let original = try Self.sampleFile()
        #expect(try StatisticsFile.decode(bytes, name: "s") == original)
        for n in 0..<bytes.count {
            #expect(throws: StatisticsFileError.self) { try StatisticsFile.decode(Array(bytes[0..<n]), name: "s") }
        }
        for i in bytes.indices {
            var b = bytes
            b[i] ^= 0x5A
            #expect(throws: StatisticsFileError.self) { try StatisticsFile.decode(b, name: "s") }
        }
        #expect(throws: StatisticsFileError.wrongMagic("m.gmm")) {
            try StatisticsFile.decode(try ModelFile.encode(try ModelFileTests.model()), name: "m.gmm")
        }
    }

    @Test func wrongSumsAreRefusedNamingBothFiles() throws {
        var a = try Self.sampleFile(shard: 0)
        let otherModel = try Self.sampleFile(shard: 1, model: "00000000000000bb")
        let e1 = #expect(throws: StatisticsFileError.self) { try a.merge(otherModel, name: "a.stats", otherName: "b.stats") }
        #expect(e1?.description.hasPrefix("b.stats: accumulated under another model") == true && e1?.description.contains("a.stats") == true)
        let again = try Self.sampleFile(shard: 0)
        let e2 = #expect(throws: StatisticsFileError.self) { try a.merge(again, name: "a.stats", otherName: "c.stats") }
        #expect(e2?.description == "c.stats: shard 0/2 is already summed in a.stats; each shard may be counted once")
        var otherList = try Self.sampleFile(shard: 1)
        otherList.listing = "def"
        #expect(throws: StatisticsFileError.self) { try a.merge(otherList, name: "a", otherName: "b") }
        var otherCount = try Self.sampleFile(shard: 1, of: 3)
        #expect(throws: StatisticsFileError.self) { try a.merge(otherCount, name: "a", otherName: "b") }
        otherCount = try Self.sampleFile(shard: 1)
        otherCount.frontEnd.deltas.order = 1
        #expect(throws: StatisticsFileError.self) { try a.merge(otherCount, name: "a", otherName: "b") }
        #expect(a.missingShards == [1])
        try a.merge(try Self.sampleFile(shard: 1), name: "a", otherName: "b")
        #expect(a.missingShards.isEmpty && a.files == 2 && a.statistics.frames == 600)
    }

    @Test func shardsPartitionAListRoundRobin() throws {
        let items = Array(0..<10)
        let parts = try (0..<4).map { try Shard(index: $0, count: 4).select(items) }
        #expect(parts == [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]])
        #expect(Shard.whole.select(items) == items)
        #expect(try Shard(parsing: "3/16") == Shard(index: 3, count: 16))
        for bad in ["4/4", "-1/3", "1", "a/b", "1/0", "0/1000000", ""] {
            #expect(throws: ShardError.self) { try Shard(parsing: bad) }
        }
    }
}
