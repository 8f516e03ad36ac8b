import Foundation
import Testing
import SpeakerID

// README example begin
/// Enrols speakers from their recordings, then names the speaker of a clip.
func whoIsSpeaking(enrol recordings: [String: [String]], clip: String, models: String) async throws -> String {
    let frontEnd = try FrontEnd()  // MFCC, VAD and CMN with the documented defaults
    let enrollment = Enrollment(frontEnd: frontEnd, em: EMOptions(), automaticOrder: true)
    let store = ModelStore(directory: models)
    for (speaker, files) in recordings {
        let features = try files.map { try frontEnd.features(of: .file($0)) }
        try store.save(try await enrollment.train(speaker: speaker, features: features, threads: 2))
    }
    let identifier = try Identifier(models: try store.loadAll())
    let ranking = identifier.identify(try identifier.frontEnd.features(of: .file(clip)))
    return ranking[0].speaker
}
// README example end

/// The README's library example, compiled here and run on synthetic voices; the README must
/// hold exactly this code.
struct ReadmeExampleTests {
    @Test func theReadmeExampleIsThisCode() throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(contentsOf: here, encoding: .utf8)
        let begin = try #require(source.range(of: "// README example begin\n"))
        let end = try #require(source.range(of: "// README example end"))
        let example = String(source[begin.upperBound..<end.lowerBound])
        let readme = try String(contentsOf: here.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("import SpeakerID\n\n" + example), "README.md's library example differs from ReadmeExampleTests.swift")
    }

    @Test func theReadmeExampleIdentifiesASpeaker() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var recordings: [String: [String]] = [:]
        for (name, pitch) in [("alice", 220.0), ("bob", 100.0)] {
            for j in 0..<2 {
                let path = dir.file("\(name)-\(j).wav")
                try AudioWriter.write(SyntheticSpeech.generate(seconds: 5, sampleRate: 16000, seed: UInt64(j) &+ UInt64(pitch), pitch: pitch),
                                      sampleRate: 16000, to: path)
                recordings[name, default: []].append(path)
            }
        }
        let clip = dir.file("clip.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 99, pitch: 100), sampleRate: 16000, to: clip)
        #expect(try await whoIsSpeaking(enrol: recordings, clip: clip, models: dir.file("models")) == "bob")
    }
}
