import Foundation
import Testing
@testable import SpeakerID

/// The parts of `SpeakerLabeller` that need no models: pooling evidence, giving cues the
/// diarization's anonymous speakers, reading a diarization, and naming clusters by the
/// assignment of highest total LLR (checked against every assignment, by brute force).
struct LabellingTests {
    /// Evidence pools by addition, with `none` as its zero, whatever the grouping.
    @Test func evidencePoolsBySumming() {
        var rng = SeededRandom(seed: 7)
        func random() -> SpeechEvidence {
            SpeechEvidence(
                gmmScoreSums: (0..<3).map { _ in rng.nextGaussian() * 100 }, frames: Int(rng.nextUnit() * 500),
                gmmSeconds: rng.nextUnit() * 5, windowSum: (0..<4).map { _ in rng.nextGaussian() }, windows: 1 + Int(rng.nextUnit() * 3),
                encoderSeconds: rng.nextUnit() * 5)
        }
        let (a, b, c) = (random(), random(), random())
        let left = (a + b) + c, right = a + (b + c)
        #expect(left.frames == right.frames && left.windows == right.windows)
        for (x, y) in zip(left.gmmScoreSums + left.windowSum, right.gmmScoreSums + right.windowSum) { #expect(abs(x - y) < 1e-9) }
        #expect(a + .none == a && SpeechEvidence.none + a == a)
        // The pooled GMM score is the frame-weighted mean of the parts' scores.
        let pooled = (a + b).gmmScores ?? []
        for k in 0..<3 {
            let mean = ((a.gmmScores?[k] ?? 0) * Double(a.frames) + (b.gmmScores?[k] ?? 0) * Double(b.frames)) / Double(a.frames + b.frames)
            #expect(abs(pooled[k] - mean) < 1e-9)
        }
        // The pooled embedding is the unit mean of all the windows.
        let norm = ((a + b).embedding ?? []).reduce(0) { $0 + Double($1) * Double($1) }
        #expect(abs(norm - 1) < 1e-5)
        #expect(SpeechEvidence.none.embedding == nil && SpeechEvidence.none.gmmScores == nil)
    }

    /// Each cue takes the anonymous speaker it overlaps most; a cue nobody overlaps takes none.
    @Test func cuesTakeTheSpeakerTheyOverlapMost() {
        let diarization = [
            SpeechTurn(start: 0, end: 2, cluster: "A"), SpeechTurn(start: 2, end: 5, cluster: "B"), SpeechTurn(start: 5.5, end: 6, cluster: "A"),
            SpeechTurn(start: 6, end: 7, cluster: "B"),
        ]
        let cues = [
            SpeechTurn(start: 0.5, end: 1.5), SpeechTurn(start: 1.5, end: 4), SpeechTurn(start: 5.2, end: 6.4),
            SpeechTurn(start: 8, end: 9), SpeechTurn(start: 1, end: 3),
        ]
        // 5.2-6.4 overlaps A 0.5 s and B 0.4 s; 1-3 overlaps A and B 1 s each: the first listed.
        #expect(SpeechTurn.clusters(of: cues, from: diarization).map(\.cluster) == ["A", "B", "A", nil, "A"])
    }

    /// A diarization is read with its lines, and refused for another recording, an empty turn
    /// or no turn, naming the file and line.
    @Test func aDiarizationIsOfThisRecording() throws {
        let text = ";; pyannote\nSPEAKER talk 1 0.50 2.00 <NA> <NA> SPEAKER_00 <NA> <NA>\nSPEAKER talk 1 3.0 1.5 <NA> <NA> SPEAKER_01 <NA> <NA>\n"
        let turns = try SpeechTurn.diarization(text, name: "d.rttm", recording: "talk")
        #expect(
            turns == [
                SpeechTurn(start: 0.5, end: 2.5, cluster: "SPEAKER_00", line: 2), SpeechTurn(start: 3, end: 4.5, cluster: "SPEAKER_01", line: 3),
            ])
        #expect(throws: LabellingError.otherRecording("d.rttm", line: 2, recording: "talk", expected: "meeting")) {
            try SpeechTurn.diarization(text, name: "d.rttm", recording: "meeting")
        }
        #expect(throws: LabellingError.emptyTurn("d.rttm", line: 1)) {
            try SpeechTurn.diarization("SPEAKER talk 1 1 0 <NA> <NA> A <NA> <NA>", name: "d.rttm", recording: "talk")
        }
        #expect(throws: LabellingError.noTurns("d.rttm")) { try SpeechTurn.diarization(";; nothing\n", name: "d.rttm", recording: "talk") }
        #expect(throws: TrackingError.self) { try SpeechTurn.diarization("SPEAKER talk 1 x 1 <NA> <NA> A", name: "d.rttm", recording: "talk") }
    }

    /// The assignment: each speaker to one cluster at most, only pairs at or above the
    /// threshold, and the highest total LLR above it of all such assignments (brute force over
    /// every one, on random matrices with ties, unnameable clusters and more clusters than
    /// speakers and fewer).
    @Test func clustersGetTheAssignmentOfHighestTotalLLR() {
        var rng = SeededRandom(seed: 11)
        for trial in 0..<300 {
            let n = 1 + trial % 5, m = 1 + (trial / 5) % 4
            let threshold = trial % 3 == 0 ? 0 : rng.nextGaussian()
            let llrs: [[Double]?] = (0..<n).map { _ in
                rng.nextUnit() < 0.15 ? nil : (0..<m).map { _ in (rng.nextGaussian() * 3 * 4).rounded() / 4 }
            }
            let got = SpeakerLabeller.assignSpeakers(llrs: llrs, threshold: threshold)
            func total(_ a: [Int?]) -> Double {
                zip(a, llrs).reduce(0) { s, p in p.0.map { s + (p.1?[$0] ?? 0) - threshold } ?? s }
            }
            func valid(_ a: [Int?]) -> Bool {
                let used = a.compactMap { $0 }
                return Set(used).count == used.count
                    && zip(a, llrs).allSatisfy { k, row in k.map { row != nil && row![$0] >= threshold } ?? true }
            }
            // Every assignment: each cluster a speaker or none.
            var best = -Double.infinity
            var a = [Int?](repeating: nil, count: n)
            func search(_ i: Int) {
                if i == n {
                    if valid(a) { best = max(best, total(a)) }
                    return
                }
                for k in [nil] + (0..<m).map(Optional.some) {
                    a[i] = k
                    search(i + 1)
                }
            }
            search(0)
            #expect(valid(got), "trial \(trial): \(got) for \(llrs) at \(threshold)")
            #expect(abs(total(got) - best) < 1e-9, "trial \(trial): \(total(got)) < \(best) for \(llrs) at \(threshold)")
        }
        // Two clusters that both pass for one speaker: the stronger gets them, the other its
        // next speaker that passes, or none.
        #expect(SpeakerLabeller.assignSpeakers(llrs: [[5, 0.5], [4, -1]], threshold: 0) == [0, nil])
        #expect(SpeakerLabeller.assignSpeakers(llrs: [[5, 4], [4, -1]], threshold: 0) == [1, 0])
        #expect(SpeakerLabeller.assignSpeakers(llrs: [[-1, -2], nil], threshold: 0) == [nil, nil])
    }
}
