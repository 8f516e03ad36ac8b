import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// `Enrollment.models(for:asEnrolled:...)`: the development and cohort models calibrate and
/// evaluate make beside the enrolled ones are made as those were.
struct ModelsAsEnrolledTests {
    static let voices = [("low", 95.0), ("mid", 165.0), ("high", 255.0)]

    /// Two recordings a voice, written to `dir`, as corpus entries.
    static func corpus(_ dir: TempDir) throws -> [CorpusEntry] {
        try voices.flatMap { name, pitch in
            try (0..<2).map { i -> CorpusEntry in
                let path = dir.file("\(name)-\(i).wav")
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: UInt64(pitch) &+ UInt64(i), pitch: pitch),
                    sampleRate: 16000, to: path)
                return CorpusEntry(speaker: name, path: path, split: "enroll")
            }
        }
    }

    static func em(components: Int) -> EMOptions {
        var em = EMOptions()
        em.components = components
        em.maxIterations = 5
        return em
    }

    @Test func trainedByEMAtTheEnrolledModelsOrderOrEachSpeakersOwn() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let entries = try Self.corpus(dir)
        let fe = try FrontEnd()
        // One order for every enrolled model: the new models have it, and the EM options.
        let fixed = try await Enrollment(frontEnd: fe, em: Self.em(components: 4)).models(for: entries, ubm: nil, threads: 1, skipBad: false).models
        let like = try await Enrollment.models(for: entries, asEnrolled: fixed, ubm: nil, threads: 1, skipBad: false)
        #expect(like.failures.isEmpty && like.models.map(\.speaker) == ["low", "mid", "high"])
        #expect(like.models.allSatisfy { $0.gmm.components == 4 && $0.training.em == fixed[0].training.em && $0.ubm == nil })
        // Orders that differ: each speaker's own, from their amount of speech.
        var mixed = fixed
        mixed[1] = try await Enrollment(frontEnd: fe, em: Self.em(components: 8)).train(
            speaker: "mid", features: [try fe.features(of: entries[2].source)], threads: 1)
        let automatic = try await Enrollment.models(for: entries, asEnrolled: mixed, ubm: nil, threads: 1, skipBad: false).models
        #expect(automatic.allSatisfy { $0.gmm.components == Enrollment.automaticComponents(frames: $0.training.frames) })
        #expect(automatic.contains { $0.gmm.components != 4 }, "\(automatic.map(\.gmm.components))")
    }

    @Test func adaptedWithTheAdaptationTheEnrolledModelsRecord() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let entries = try Self.corpus(dir)
        let fe = try FrontEnd()
        let enrollment = try Enrollment(frontEnd: fe, em: Self.em(components: 8))
        let ubm = try await enrollment.trainBackground(features: try entries.map { try fe.features(of: $0.source) }, components: 8, threads: 1)
        var map = MAPAdaptation()
        map.relevance = 6
        map.adaptWeights = true
        let enrolled = try await enrollment.models(for: Array(entries.prefix(2)), ubm: ubm, map: map, threads: 1, skipBad: false).models
        let like = try await Enrollment.models(for: entries, asEnrolled: enrolled, ubm: ubm, threads: 1, skipBad: false).models
        #expect(like.count == 3)
        for m in like {
            #expect(m.ubm?.matches(ubm) == true && m.ubm?.relevance == 6 && m.ubm.map(MAPAdaptation.init) == map, "\(m.speaker)")
        }
        // Adapted as the enrolled "low" was, from the same recordings: the same model.
        #expect(like[0].gmm == enrolled[0].gmm)
    }

    @Test func noEnrolledModelsIsRefused() async throws {
        await #expect(throws: ModelError.self) {
            _ = try await Enrollment.models(for: [], asEnrolled: [], ubm: nil, threads: 1, skipBad: false)
        }
    }
}
