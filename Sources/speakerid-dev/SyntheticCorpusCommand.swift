import ArgumentParser
import Foundation
import SpeakerID
import SpeakerIDDemo

/// `speakerid-dev synthetic-corpus`: a corpus of synthetic voices (SyntheticSpeech), one folder
/// of WAV files per voice, for stages and scripts that need enrolled speakers without any
/// recording (the OpenAPI stage of CI).
struct SyntheticCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic-corpus",
        abstract: "Write a corpus of synthetic voices: OUT/voice-N/K.wav, 16 kHz, each voice its own pitch.")

    @Option(help: ArgumentHelp("Corpus folder to write (must not exist).", valueName: "dir"))
    var out: String
    @Option(help: ArgumentHelp("Voices.", valueName: "n"))
    var speakers = 4
    @Option(help: ArgumentHelp("Files per voice.", valueName: "n"))
    var files = 3
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds per file.", valueName: "s"))
    var seconds = 4.0

    func validate() throws {
        if !(1...100).contains(speakers) { throw ValidationError("--speakers must be 1-100") }
        if !(1...100).contains(files) { throw ValidationError("--files must be 1-100") }
        if !(seconds >= 0.5 && seconds <= 600) { throw ValidationError("--seconds must be 0.5-600") }
        if FileSystem.exists(out) { throw ValidationError("--out \(out): exists already; give a new folder") }
    }

    func run() throws {
        for v in 0..<speakers {
            let folder = PathName.join(out, "voice-\(v + 1)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Pitches spread from 90 to 300 Hz over the voices.
            let pitch = 90 * pow(300.0 / 90, speakers == 1 ? 0 : Double(v) / Double(speakers - 1))
            for k in 0..<files {
                let x = SyntheticSpeech.generate(seconds: seconds, sampleRate: 16000, seed: UInt64(v * 1000 + k), pitch: pitch)
                try AudioWriter.write(x, sampleRate: 16000, to: PathName.join(folder, "\(k + 1).wav"))
            }
        }
        print("\(speakers) synthetic voices, \(files) files of \(seconds) s each, in \(out)")
    }
}
