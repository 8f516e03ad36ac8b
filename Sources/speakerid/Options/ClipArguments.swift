import ArgumentParser
import Foundation
import SpeakerID

/// The clips `identify` and `verify` score, and how.
struct ClipArguments: ParsableArguments {
    @Flag(help: "One JSON object per clip (a clip that cannot be scored gives {\"file\", \"error\"}).")
    var json = false
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Long recordings are read in chunks of this many seconds, each normalised on its own, so memory stays bounded.", valueName: "s"))
    var chunkSeconds = 600.0
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Clips with less speech than this (after the VAD) get the answer 'too short' instead of a speaker.", valueName: "s"))
    var minSpeech = DecisionRule.defaultMinimumSpeechSeconds
    @Flag(help: "Exit 0 when some clips could not be scored (each is still reported on standard error), as long as one could.")
    var skipBad = false
    @Argument(help: "Audio clips (files or folders; '-' for standard input).")
    var clips: [String]

    func validate() throws {
        if !(chunkSeconds >= 1 && chunkSeconds <= 86_400) { throw ValidationError("--chunk-seconds must be 1-86400") }
        if !(minSpeech >= 0 && minSpeech <= 3600) { throw ValidationError("--min-speech must be 0-3600 seconds") }
        if clips.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input ('-') can be given only once") }
    }

    /// Files, folders (their audio files), or '-' for standard input; the same file given
    /// twice (or a folder and a file in it) once, with a note.
    func sources(quiet: Bool) throws -> [AudioSource] {
        let files = Corpus.expandInputs(clips.filter { $0 != "-" })
        if !quiet && !files.files.isEmpty { for n in files.notes { Console.warn("note: " + n) } }
        var out = files.files.map { AudioSource.file($0) }
        if clips.contains("-") {
            // Standard input first when it was given first, else last.
            let stdin = AudioSource.memory(FileHandle.standardInput.readDataToEndOfFile(), name: "(standard input)")
            if clips.first == "-" { out.insert(stdin, at: 0) } else { out.append(stdin) }
        }
        if out.isEmpty { throw CLIError("no audio files found in \(clips.joined(separator: ", "))") }
        return out
    }
}
