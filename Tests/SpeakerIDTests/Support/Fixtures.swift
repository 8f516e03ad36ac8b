import Foundation
@testable import SpeakerID
import SpeakerIDDemo

/// Corpora and models the suites that run the tool share, made through the tool.
enum Fixtures {
    /// Three synthetic "speakers" with different pitch, as a folder-per-speaker corpus.
    static func syntheticCorpus(_ dir: TempDir) throws {
        for (i, (name, pitch)) in [("low", 90.0), ("mid", 160.0), ("high", 260.0)].enumerated() {
            try FileManager.default.createDirectory(atPath: dir.file("corpus/\(name)"), withIntermediateDirectories: true)
            for j in 0..<3 {
                let x = SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: UInt64(i * 10 + j), pitch: pitch)
                try AudioWriter.write(x, sampleRate: 16000, to: dir.file("corpus/\(name)/\(j).wav"))
            }
        }
    }

    /// A synthetic corpus of three voices, background voices, impostor voices, a 16-component
    /// UBM trained on the background and the corpus, and the corpus's voices adapted from it.
    static func ubmScenario() throws -> (TempDir, String, String) {
        let dir = TempDir()
        try Self.syntheticCorpus(dir)
        // Background: other "speakers" at other pitches; impostors: yet others.
        for (name, pitch) in [("bg1", 120.0), ("bg2", 200.0), ("bg3", 320.0), ("imp", 400.0)] {
            let folder = name == "imp" ? "impostors/\(name)" : "background/\(name)"
            try FileManager.default.createDirectory(atPath: dir.file(folder), withIntermediateDirectories: true)
            for j in 0..<2 {
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: UInt64(100 + j) &* UInt64(pitch), pitch: pitch),
                    sampleRate: 16000, to: dir.file("\(folder)/\(j).wav"))
            }
        }
        let ubm = dir.file("ubm.gmm"), models = dir.file("models")
        let t = try CLI.run([
            "train-ubm", "--corpus", dir.file("background") + ":all", "--corpus", dir.file("corpus") + ":all",
            "--components", "16", "--out", ubm, "-q",
        ])
        let e = try CLI.run(["enroll", "--models", models, "--corpus", dir.file("corpus"), "--split", "all", "--ubm", ubm, "-q"])
        guard t.status == 0, e.status == 0 else { throw CLIFailure(t.stderr + e.stderr) }
        return (dir, ubm, models)
    }
}

/// A synthetic corpus, a background corpus, a 16-component UBM and models adapted from it.
struct UBMFixture {
    let dir = TempDir()
    var ubm: String { dir.file("ubm.gmm") }
    var adapted: String { dir.file("adapted") }

    init(enrolAdapted: Bool = true) throws {
        try Fixtures.syntheticCorpus(dir)
        for (name, pitch) in [("bg1", 120.0), ("bg2", 200.0), ("bg3", 320.0)] {
            try FileManager.default.createDirectory(atPath: dir.file("background/\(name)"), withIntermediateDirectories: true)
            for j in 0..<2 {
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: UInt64(100 + j) &* UInt64(pitch), pitch: pitch),
                    sampleRate: 16000, to: dir.file("background/\(name)/\(j).wav"))
            }
        }
        let t = try CLI.run([
            "train-ubm", "--corpus", dir.file("background") + ":all", "--corpus", dir.file("corpus") + ":all",
            "--components", "16", "--out", ubm, "-q",
        ])
        guard t.status == 0 else { throw CLIFailure(t.stderr) }
        if enrolAdapted {
            let e = try CLI.run(["enroll", "--models", adapted, "--corpus", dir.file("corpus"), "--split", "all", "--ubm", ubm, "-q"])
            guard e.status == 0 else { throw CLIFailure(e.stderr) }
        }
    }

    func clip(_ speaker: String, _ i: Int) -> String { dir.file("corpus/\(speaker)/\(i).wav") }
}
