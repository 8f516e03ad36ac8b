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

/// The frame cache's checksum computed in pieces as the file is read equals the one-shot value.
struct FastChecksumStreamTests {
    @Test func piecesGiveTheOneShotChecksum() {
        var r = SeededRandom(seed: 8)
        let bytes = (0..<3000).map { _ in UInt8(truncatingIfNeeded: r.next()) }
        bytes.withUnsafeBytes { all in
            for count in [0, 1, 31, 32, 33, 64, 100, 2999, 3000] {
                let whole = UnsafeRawBufferPointer(rebasing: all[0..<count])
                let oneShot = FastChecksum.checksum(whole)
                for piece in [32, 64, 96, 1024] {
                    var s = FastChecksum.Stream()
                    var done = 0, result: UInt64 = 0
                    repeat {
                        let n = min(piece, count - done)
                        let part = UnsafeRawBufferPointer(rebasing: whole[done..<(done + n)])
                        done += n
                        if done < count { s.feed(part) } else { result = s.finish(part) }
                    } while done < count
                    #expect(result == oneShot, "\(count) bytes in pieces of \(piece)")
                }
            }
        }
        // And it is a checksum: one flipped bit changes it.
        var flipped = bytes
        flipped[1234] ^= 4
        #expect(bytes.withUnsafeBytes { FastChecksum.checksum($0) } != flipped.withUnsafeBytes { FastChecksum.checksum($0) })
    }
}
