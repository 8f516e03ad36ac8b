import Foundation
import Testing
@testable import SpeakerID

/// Where the encoder cuts an utterance into windows of 160 frames: resemblyzer's
/// `compute_partial_slices` (rate 1.3, minimum coverage 0.75).
struct EncoderWindowTests {
    /// Lengths at and around every boundary: no sample, a frame, a window (25600 samples), a
    /// window plus a step (77 frames), the coverage threshold of a last window, and long ones.
    static let lengths: [Int] = {
        var n: Set<Int> = [
            0, 1, 2, 159, 160, 161, 319, 320, 321, 16000, 25439, 25440, 25599, 25600, 25601,
            37759, 37760, 37761, 40000, 123456, 160_000, 1_000_003, 10 * 60 * 16000,
        ]
        // The last window kept or not: its start s, coverage (n - 160 s) / 25600 around 0.75.
        for k in 1...6 {
            let start = 77 * k * 160
            for d in -161...161 where d % 40 == 0 || abs(d) <= 1 { n.insert(start + 19200 + d) }
            for d in [-1, 0, 1] {
                n.insert(start + 25600 - 160 + d)
                n.insert((77 * k + 160) * 160 + d)
            }
        }
        var r = SeededRandom(seed: 25)
        for _ in 0..<60 { n.insert(Int(r.next() % 400_000)) }
        return n.sorted()
    }()

    // The reference script's partial_slices, and, with the wheel, resemblyzer's own function
    // (run from the wheel's source without torch), for every length.
    @Test(.enabled(if: Python.numpy, Python.numpyAbsent))
    func windowStartsAreResemblyzers() throws {
        var args = ["slices"]
        if let wheel = EncoderResources.wheel { args += ["--wheel", wheel] }
        let lines = try Python.reference(args + Self.lengths.map(String.init))
        try #require(lines.count == Self.lengths.count)
        for line in lines {
            let n = try #require(line["samples"] as? Int)
            let ours = SpeakerEncoder.windowStarts(samples: n)
            #expect(ours == line["starts"] as? [Int], "\(n) samples")
            if EncoderResources.wheel != nil {
                #expect(ours == line["resemblyzer"] as? [Int], "\(n) samples: resemblyzer's compute_partial_slices")
            }
        }
    }

    // Without Python: what the windows must be, whatever the implementation.
    @Test func windowStartsHaveResemblyzersShape() {
        for n in Self.lengths {
            let starts = SpeakerEncoder.windowStarts(samples: n)
            #expect(starts.first == 0, "\(n) samples")
            #expect(zip(starts, starts.dropFirst()).allSatisfy { $1 - $0 == 77 }, "\(n) samples: steps of 77 frames")
            guard let last = starts.last else { continue }
            let coverage = Double(n - last * 160) / 25600
            #expect(starts.count == 1 || coverage >= 0.75, "\(n) samples: the last window is \(coverage) audio")
            // No window that would have covered enough was left out.
            let next = (last + 77) * 160
            #expect(Double(n - next) / 25600 < 0.75, "\(n) samples: a window at \(last + 77) would be \(Double(n - next) / 25600) audio")
            if n >= 25600 { #expect(last * 160 + 25600 >= n - 77 * 160, "\(n) samples: the end is left out") }
        }
        #expect(SpeakerEncoder.windowStarts(samples: 0) == [0])
        #expect(SpeakerEncoder.windowStarts(samples: 25600) == [0])
        #expect(SpeakerEncoder.windowStarts(samples: 40000) == [0, 77])
        // 1.3 windows a second on long audio.
        let minute = SpeakerEncoder.windowStarts(samples: 60 * 16000).count
        #expect((76...78).contains(minute), "\(minute) windows in a minute")
    }
}
