import Foundation
import Testing
import SpeakerID
import SpeakerIDDemo

// README example begin
/// Enrols speakers from their recordings, then names the speaker of a clip.
func whoIsSpeaking(enrol recordings: [String: [String]], clip: String, models: String) async throws -> String {
    let frontEnd = try FrontEnd()  // MFCC, VAD and CMN with the documented defaults
    let enrollment = try Enrollment(frontEnd: frontEnd, em: EMOptions(), order: .automatic)
    let store = ModelStore(directory: models)
    for (speaker, files) in recordings {
        let features = try files.map { try frontEnd.features(of: .file($0)) }
        try store.save(try await enrollment.train(speaker: speaker, features: features, threads: 2))
    }
    let identifier = try Identifier(models: try store.loadAll())
    return try identifier.identify(.file(clip))[0].speaker
}
// README example end

// README example 2 begin
/// Trains a background model in memory, MAP-adapts two speakers from it, adds a recording
/// to one of them, then names the speaker of a clip and scores it against alice.
func withABackgroundModel(
    background: [String], alice: [String], bob: [String], moreOfAlice: String,
    clip: String
) async throws -> (speaker: String, aliceScore: Double) {
    let frontEnd = try FrontEnd()
    let enrollment = try Enrollment(frontEnd: frontEnd, em: EMOptions())
    let features = { (files: [String]) in try files.map { try frontEnd.features(of: .file($0)) } }
    let ubm = try await enrollment.trainBackground(features: try features(background), components: 32, threads: 2)
    var alices = try await enrollment.adapt(speaker: "alice", features: try features(alice), ubm: ubm, map: MAPAdaptation(), threads: 2)
    let bobs = try await enrollment.adapt(speaker: "bob", features: try features(bob), ubm: ubm, map: MAPAdaptation(), threads: 2)
    alices = try await enrollment.add(try features([moreOfAlice]), to: alices, ubm: ubm, threads: 2)
    let identifier = try Identifier(models: [alices, bobs], ubm: ubm)
    return (try identifier.identify(.file(clip))[0].speaker, try identifier.score(.file(clip), speaker: "alice"))
}
// README example 2 end

// README example 3 begin
/// Scores a clip by both systems (the GMMs against the UBM, the speaker encoder's embedding
/// against each speaker's d-vector), fused into one calibrated LLR per speaker by a fusion
/// calibration (`speakerid calibrate --system fusion`); names the best speaker if it reaches the
/// Bayes threshold of the default prior and costs.
func whoIsSpeakingFused(
    clip: String, models: String, ubm: String, encoder: String, calibration: String
) throws -> (speaker: String?, llr: Double) {
    let background = try ModelStore.loadUBM(path: ubm)
    let scorer = try FusedScorer(
        models: try ModelStore(directory: models).loadAll(ubm: background), ubm: background,
        encoder: try SpeakerEncoder.load(path: encoder), calibration: try Calibration.load(path: calibration),
        folder: models)
    let ranked = try scorer.scores(.file(clip)).speakers.sorted { $0.llr > $1.llr }
    guard let best = ranked.first else { return (nil, -.infinity) }
    return (best.llr >= DecisionCosts().bayesThreshold ? best.speaker : nil, best.llr)
}
// README example 3 end

/// The README's library example, compiled here and run on synthetic voices; the README must
/// hold exactly this code.
struct ReadmeExampleTests {
    @Test func theReadmeExampleIsThisCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(contentsOf: here, encoding: .utf8)
        let begin = try #require(source.range(of: "// README example begin\n"))
        let end = try #require(source.range(of: "// README example end"))
        let example = String(source[begin.upperBound..<end.lowerBound])
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("import SpeakerID\n\n" + example), "README.md's library example differs from ReadmeExampleTests.swift")
        let begin2 = try #require(source.range(of: "// README example 2 begin\n"))
        let end2 = try #require(source.range(of: "// README example 2 end"))
        #expect(
            readme.contains("import SpeakerID\n\n" + String(source[begin2.upperBound..<end2.lowerBound])),
            "README.md's second library example differs from ReadmeExampleTests.swift")
        let begin3 = try #require(source.range(of: "// README example 3 begin\n"))
        let end3 = try #require(source.range(of: "// README example 3 end"))
        #expect(
            readme.contains("import SpeakerID\n\n" + String(source[begin3.upperBound..<end3.lowerBound])),
            "README.md's third library example (fusion) differs from ReadmeExampleTests.swift")
    }

    /// The fusion example gives identify --system fusion's LLR and decision.
    @Test func theFusionExampleDecidesAsIdentifyDoes() throws {
        let f = try DVectorSystemCommandTests.Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let cal = try f.calibration(.fusion, ubm: ubm, models: models)
        for voice in ["low", "high"] {
            let r = try whoIsSpeakingFused(clip: f.clip(voice), models: models, ubm: ubm, encoder: f.encoder, calibration: cal)
            let id = try CLI.run([
                "identify", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder, "--calibration", cal, "--json",
                f.clip(voice),
            ])
            let o = try #require(CLI.jsonLines(id.stdout).first, "\(id.stderr)")
            #expect(abs(r.llr - (o["llr"] as? Double ?? .nan)) < 1e-9, "\(r) \(o)")
            #expect(r.speaker == (o["speaker"] as? String), "\(r) \(o)")
        }
    }

    @Test func theSecondReadmeExampleAddsAudioAndVerifies() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        func voice(_ name: String, pitch: Double, seed: UInt64, seconds: Double = 4) throws -> String {
            let path = dir.file("\(name).wav")
            try AudioWriter.write(
                SyntheticSpeech.generate(seconds: seconds, sampleRate: 16000, seed: seed, pitch: pitch), sampleRate: 16000, to: path)
            return path
        }
        let background = try [(70.0, 1), (130.0, 2), (190.0, 3), (300.0, 4)].map { try voice("bg\($0.1)", pitch: $0.0, seed: UInt64($0.1)) }
        let alice = [try voice("alice0", pitch: 220, seed: 10)], bob = [try voice("bob0", pitch: 100, seed: 20)]
        let more = try voice("alice1", pitch: 220, seed: 11)
        let fromAlice = try await withABackgroundModel(
            background: background, alice: alice, bob: bob, moreOfAlice: more,
            clip: try voice("clip-a", pitch: 220, seed: 12, seconds: 2))
        let fromBob = try await withABackgroundModel(
            background: background, alice: alice, bob: bob, moreOfAlice: more,
            clip: try voice("clip-b", pitch: 100, seed: 21, seconds: 2))
        #expect(fromAlice.speaker == "alice" && fromBob.speaker == "bob")
        #expect(fromAlice.aliceScore > 0 && fromAlice.aliceScore > fromBob.aliceScore, "\(fromAlice) \(fromBob)")
    }

    @Test func theReadmeExampleIdentifiesASpeaker() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var recordings: [String: [String]] = [:]
        for (name, pitch) in [("alice", 220.0), ("bob", 100.0)] {
            for j in 0..<2 {
                let path = dir.file("\(name)-\(j).wav")
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 5, sampleRate: 16000, seed: UInt64(j) &+ UInt64(pitch), pitch: pitch),
                    sampleRate: 16000, to: path)
                recordings[name, default: []].append(path)
            }
        }
        let clip = dir.file("clip.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 99, pitch: 100), sampleRate: 16000, to: clip)
        #expect(try await whoIsSpeaking(enrol: recordings, clip: clip, models: dir.file("models")) == "bob")
    }
}
