import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// `track --system fusion` and `dvector`: segments decided on their audio's embedding (a small
/// random-weight encoder; the pipeline is the real one), offline and as a stream alike.
struct FusionTrackingCommandTests {
    /// The fixture's three test clips one after another, 0.6 s of faint noise between them.
    static func conversation(_ f: DVectorSystemCommandTests.Fixture) throws -> [Float] {
        var x: [Float] = []
        var rng = SeededRandom(seed: 3)
        for voice in ["low", "high", "mid"] {
            x += try AudioDecoder(path: f.clip(voice)).readAll()
            x += (0..<9600).map { _ in Float(rng.nextUnit() - 0.5) * 1e-4 }
        }
        return x
    }

    @Test func segmentsAreDecidedOnTheFusedLLRAndAStreamAgrees() throws {
        let f = try DVectorSystemCommandTests.Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let cal = try f.calibration(.fusion, ubm: ubm, models: models), dcal = try f.calibration(.dvector, ubm: ubm, models: models)
        let samples = try Self.conversation(f)
        let talk = f.dir.file("talk.wav")
        try AudioWriter.write(samples, sampleRate: 16000, to: talk)
        let calibration = try Calibration.load(path: cal)
        // Pauses of 0.6 s end turns (--max-gap 0.3), so same-named neighbours do not join.
        let base = ["track", "--models", models, "--ubm", ubm, "--encoder", f.encoder, "--max-gap", "0.3"]
        for (system, path) in [("fusion", cal), ("dvector", dcal)] {
            let r = try CLI.run(base + ["--system", system, "--calibration", path, "--json", talk])
            #expect(r.status == 0, "\(r.stderr)")
            let o = try #require(CLI.jsonLines(r.stdout).first, "\(r.stderr)")
            #expect(o["system"] as? String == system)
            let timeline = try #require(o["timeline"] as? [[String: Any]])
            #expect(!timeline.isEmpty)
            var previousEnd = 0.0
            for seg in timeline {
                let llr = try #require(seg["llr"] as? Double), start = try #require(seg["start_seconds"] as? Double)
                let end = try #require(seg["end_seconds"] as? Double)
                #expect(seg["dvector_score"] is Double && start >= previousEnd && end > start, "\(seg)")
                previousEnd = end
                // No decision against its own LLR: named exactly when it reaches the Bayes threshold.
                let named = llr >= DecisionCosts().bayesThreshold
                #expect((seg["decision"] as? String == "accepted") == named, "\(seg)")
                #expect(named ? seg["label"] as? String == seg["speaker"] as? String : seg["label"] as? String == "unknown", "\(seg)")
                if system == "fusion", let name = seg["speaker"] as? String ?? nil {
                    // The fused LLR is the calibration's of the segment's two scores.
                    let enrol = try ModelStore(directory: models).load(try SpeakerName(name)).training.speechSeconds
                    let expected = calibration.llr(
                        gmmScore: try #require(seg["score"] as? Double), dvectorScore: try #require(seg["dvector_score"] as? Double),
                        testSeconds: try #require(seg["speech_seconds"] as? Double), enrolSeconds: enrol)
                    // speech_seconds is rounded to the millisecond in JSON.
                    #expect(abs(llr - expected) < 1e-2 * max(1, abs(llr)), "\(seg)")
                }
            }
            // Pauses split segments: three clips apart give at least three.
            #expect(timeline.count >= 3, "\(timeline)")
        }

        // The library, fed in blocks of any size, gives the same segments as in one piece.
        let ubmModel = try ModelStore.loadUBM(path: ubm)
        let loaded = try ModelStore(directory: models).loadAll(ubm: ubmModel)
        let id = try Identifier(models: loaded, ubm: ubmModel)
        let scoring = try EncoderSegmentScoring(
            system: .fusion, encoder: try SpeakerEncoder.load(path: f.encoder), models: loaded, ubm: ubmModel, calibration: calibration,
            folder: models)
        let rule = DecisionRule.onCalibratedLLRs(threshold: nil, costs: DecisionCosts())
        func run(blocks: Int) throws -> [TrackedSegment] {
            let t = try StreamingTracker(identifier: id, rule: rule, sourceSampleRate: 16000, encoderScoring: scoring)
            var out: [TrackedSegment] = []
            var at = 0, k = 0
            while at < samples.count {
                let n = min(samples.count - at, blocks == 1 ? samples.count : 1 + (k * 7919) % 3000)
                for case .segment(let s) in try t.push(Array(samples[at..<(at + n)])) { out.append(s) }
                at += n
                k += 1
            }
            for case .segment(let s) in try t.finish() { out.append(s) }
            return out
        }
        let whole = try run(blocks: 1)
        let pieces = try run(blocks: 0)
        #expect(!whole.isEmpty && whole == pieces)

        // As a stream on standard input: the same segments as offline.
        let offline = try CLI.run(base + ["--system", "fusion", "--calibration", cal, "--json", talk])
        let expected = ((CLI.jsonLines(offline.stdout).first?["timeline"] as? [[String: Any]]) ?? []).map {
            "\($0["start_seconds"] ?? 0) \($0["end_seconds"] ?? 0) \($0["label"] ?? "")"
        }
        let pcm = f.dir.file("talk.pcm")
        var bytes = Data()
        for v in try AudioDecoder(path: talk).readAll() {
            let i = Int16(max(-32768, min(32767, (v * 32768).rounded())))
            withUnsafeBytes(of: i.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try bytes.write(to: URL(fileURLWithPath: pcm))
        let stream = try CLI.run(base + ["--system", "fusion", "--calibration", cal, "--stream", "--raw", "16000", "--json", "-"], stdin: pcm)
        #expect(stream.status == 0, "\(stream.stderr)")
        let events = CLI.jsonLines(stream.stdout)
        let got = events.filter { $0["event"] as? String == "segment" }.map {
            "\($0["start_seconds"] ?? 0) \($0["end_seconds"] ?? 0) \($0["label"] ?? "")"
        }
        #expect(!got.isEmpty && got == expected, "stream \(got) offline \(expected)")
        #expect(events.contains { $0["event"] as? String == "window" && $0["dvector_score"] is Double })
    }

    @Test func whatTheEncoderSystemsNeedIsRefusedInOneLine() throws {
        let f = try DVectorSystemCommandTests.Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let gmmCal = try f.calibration(.gmm, ubm: ubm, models: models)
        let clip = f.clip("low")
        let cases: [([String], Int32, String)] = [
            (["track", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder, clip], 64, "--calibration"),
            (["track", "--models", models, "--system", "fusion", "--encoder", f.encoder, "--calibration", gmmCal, clip], 64, "--ubm"),
            (["track", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder, "--calibration", gmmCal, clip], 1, "gmm"),
            (
                ["track", "--models", models, "--ubm", ubm, "--system", "dvector", "--calibration", gmmCal, clip], 1,
                "speaker encoder"
            ),
            (["track", "--models", models, "--ubm", ubm, "--pad", "-1", clip], 64, "padding"),
            // The d-vector system still finds its turns with the GMM decoder: said so, not as a GMM calibration matter.
            (["track", "--models", models, "--system", "dvector", "--encoder", f.encoder, "--calibration", gmmCal, clip], 64, "GMM decoder"),
        ]
        for (args, status, needle) in cases {
            let run = try CLI.run(args)
            #expect(
                run.status == status && run.stderr.contains(needle) && (status == 64 || run.stderr.split(separator: "\n").count == 1),
                "\(args.dropFirst(5).prefix(4)): \(run.status) \(run.stderr)")
        }
    }
}

/// The stream's recent 16-kHz audio for the encoder: what is held is what a plain array
/// would give, however much is dropped.
struct SegmentAudioTests {
    @Test func slicesAreThoseOfTheWholeArray() {
        var rng = SeededRandom(seed: 9)
        var held = SegmentAudio()
        var all: [Float] = []
        var dropped = 0
        for _ in 0..<400 {
            let x = (0..<Int(rng.nextUnit() * 3000)).map { _ in Float(rng.nextUnit()) }
            held.append(x)
            all += x
            #expect(held.end == all.count)
            dropped = max(dropped, min(all.count, dropped + Int(rng.nextUnit() * 2500)))
            held.drop(before: dropped)
            let a = dropped + Int(rng.nextUnit() * Double(all.count - dropped)), b = a + Int(rng.nextUnit() * 5000)
            #expect(held.slice(from: a, to: b) == Array(all[a..<min(b, all.count)]))
            // What was dropped is gone.
            if dropped >= 10 { #expect(held.slice(from: dropped - 10, to: dropped).isEmpty) }
        }
    }
}
