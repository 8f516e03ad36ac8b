import Foundation
import Testing
import SpeakerID
import SpeakerIDDemo

/// The library's main entry points throw typed errors that name the user's file or speaker:
/// each `catch` below binds `error` to the concrete type without a cast, so these tests stop
/// compiling if an entry point goes back to an untyped `throws`.
struct LibraryErrorTests {
    /// Speech features of a synthetic voice.
    static func voice(seconds: Double, pitch: Double, seed: UInt64, name: String) throws -> SpeechFeatures {
        try FrontEnd().features(samples: SyntheticSpeech.generate(seconds: seconds, sampleRate: 16000, seed: seed, pitch: pitch), name: name)
    }

    @Test func featuresNameTheRecordingThatCannotBeRead() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let fe = try FrontEnd()
        let missing = dir.file("missing.wav")
        do {
            _ = try fe.features(of: .file(missing))
            Issue.record("a missing file gave features")
        } catch {
            let e: FeatureError = error
            #expect(e == .audio(.fileNotFound(missing)))
            #expect(e.description == "\(missing): no such file")
        }
        // Silence decodes but holds no speech: the recording is named too.
        try AudioWriter.write([Float](repeating: 0, count: 16000), sampleRate: 16000, to: dir.file("silence.wav"))
        #expect(throws: FeatureError.noSpeech(dir.file("silence.wav"), frames: 99)) { try fe.features(of: .file(dir.file("silence.wav"))) }
        do {
            _ = try fe.summary(of: .file(missing))
        } catch {
            let e: FeatureError = error
            #expect(e == .audio(.fileNotFound(missing)))
        }
    }

    @Test func enrolmentErrorsNameTheSpeaker() async throws {
        let fe = try FrontEnd()
        var em = EMOptions()
        em.components = 64
        let enrollment = try Enrollment(frontEnd: fe, em: em)
        let short = try Self.voice(seconds: 0.5, pitch: 200, seed: 1, name: "short")
        do {
            _ = try await enrollment.train(speaker: "alice", features: [short], threads: 1)
            Issue.record("64 components were trained on half a second")
        } catch {
            let e: EnrollmentError = error
            #expect(e == .model("alice", .notEnoughFrames(frames: short.frames.rows, components: 64)))
            #expect(e.description.hasPrefix("speaker \"alice\": only \(short.frames.rows) speech frames to train 64 components"), "\(e)")
            #expect(!e.description.contains("--"), "\(e)")
        }
        do {
            _ = try await enrollment.trainBackground(features: [], components: 8, threads: 1)
        } catch {
            let e: EnrollmentError = error
            #expect(e == .background(.notEnoughFrames(frames: 0, components: 8)))
        }
        // A UBM of another front end, and a model that keeps no statistics to add to.
        var other = FrontEndOptions()
        other.cepstral.coefficients = 12
        let otherFrontEnd = try FrontEnd(options: other)
        let background = try otherFrontEnd.features(samples: SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 2, pitch: 150), name: "bg")
        let ubm = try await Enrollment(frontEnd: otherFrontEnd, em: EMOptions()).trainBackground(features: [background], components: 4, threads: 1)
        do {
            _ = try await enrollment.adapt(speaker: "bob", features: [short], ubm: ubm, map: MAPAdaptation(), threads: 1)
        } catch {
            let e: EnrollmentError = error
            guard case .otherFrontEnd(let who, _) = e else {
                Issue.record("\(e)")
                return
            }
            #expect(who == "bob")
        }
    }

    @Test func cancelledEnrolmentSaysSo() async throws {
        let enrollment = try Enrollment(frontEnd: FrontEnd(), em: EMOptions(), order: .automatic)
        let features = try Self.voice(seconds: 3, pitch: 180, seed: 3, name: "c")
        let task = Task { () async -> EnrollmentError? in
            withUnsafeCurrentTask { $0?.cancel() }
            do throws(EnrollmentError) {
                _ = try await enrollment.train(speaker: "carol", features: [features], threads: 1)
                return nil
            } catch {
                return error
            }
        }
        let e = await task.value
        #expect(e == .cancelled)
    }

    @Test func scoringAndStoreErrorsNameTheFileOrSpeaker() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let enrollment = try Enrollment(frontEnd: FrontEnd(), em: EMOptions(), order: .automatic)
        let model = try await enrollment.train(speaker: "dave", features: [Self.voice(seconds: 3, pitch: 120, seed: 4, name: "d")], threads: 1)
        let identifier = try Identifier(models: [model])
        let missing = dir.file("missing.wav")
        do {
            _ = try identifier.identify(.file(missing))
        } catch {
            let e: ScoringError = error
            #expect(e == .recording(.audio(.fileNotFound(missing))))
            #expect(e.description == "\(missing): no such file")
        }
        do {
            _ = try identifier.score(.file(missing), speaker: "eve")
        } catch {
            let e: ScoringError = error
            #expect(e == .unknownSpeaker("eve", enrolled: ["dave"]))
        }

        let store = ModelStore(directory: dir.file("models"))
        var bad = model
        bad.speaker = "<unknown>"
        do {
            _ = try store.save(bad)
        } catch {
            let e: ModelStoreError = error
            #expect(e == .invalidName(.reserved("<unknown>")))
        }
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: dir.file("junk.gmm")))
        do {
            _ = try ModelStore.load(path: dir.file("junk.gmm"))
        } catch {
            let e: ModelStoreError = error
            #expect(e == .invalidFile(.wrongMagic(dir.file("junk.gmm"))))
            #expect(e.description.hasPrefix(dir.file("junk.gmm") + ": not a SpeakerID model"))
        }
        let frank = try SpeakerName("frank")
        do {
            _ = try store.load(frank)
        } catch {
            let e: ModelStoreError = error
            #expect(e == .noFolder(dir.file("models")))
        }
        let written = try store.save(model)
        #expect(written == store.path(for: try SpeakerName("dave")))
        #expect(try store.loadAll().map(\.speaker) == ["dave"])
    }
}
