import ArgumentParser
import Foundation
import SpeakerID

/// Managing the enrolled speakers of a models folder.
struct SpeakersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speakers",
        abstract: "List, rename and remove enrolled speakers.",
        subcommands: [SpeakersList.self, SpeakersRename.self, SpeakersRemove.self])
}

struct SpeakersList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every enrolled speaker: enrolment speech, files, UBM or EM, date.")

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @Flag(help: "One JSON object per speaker.")
    var json = false
    @Flag(help: "Also list each speaker's enrolment files.")
    var files = false

    func run() throws {
        let store = ModelStore(directory: models)
        let lock = try store.lockIfPresent(.shared)  // no rename half done in the list
        defer { withExtendedLifetime(lock) {} }
        let paths = try store.modelPaths()
        if paths.isEmpty { throw CLIError("\(models): no speaker models (*.gmm) found; enrol speakers first") }
        var failed = 0
        for p in paths {
            let m: SpeakerModel
            do { m = try ModelStore.load(path: p) } catch {
                Console.warn("\(error)")
                if json { print(SpeakerIDCLI.json(["file": p, "error": "\(error)"])) }
                failed += 1
                continue
            }
            if m.kind == .ubm { continue }
            let t = m.training
            // When the model file was written (models hold no date, so they stay reproducible).
            let date =
                (try? FileManager.default.attributesOfItem(atPath: p)[.modificationDate] as? Date)
                .map { ISO8601DateFormatter().string(from: $0) } ?? ""
            if json {
                var o: [String: Any] = [
                    "speaker": m.speaker, "file": p, "speech_seconds": t.speechSeconds, "files": t.files,
                    "kind": m.ubm != nil ? "map_adapted" : "em", "enrolled_at": date,
                    "can_add_audio": m.enrolment != nil,
                ]
                if let u = m.ubm {
                    o["ubm"] = [
                        "checksum": u.checksum, "components": u.components, "relevance": u.relevance,
                        "adapted": u.adaptedNames,
                    ]
                }
                if let s = t.sources {
                    o["sources"] = s.map {
                        ["path": $0.path, "checksum": $0.checksum ?? NSNull(), "speech_seconds": $0.speechSeconds] as [String: Any]
                    }
                }
                print(SpeakerIDCLI.json(o))
            } else {
                let how = m.ubm.map { "UBM \($0.checksum)" } ?? "EM, \(m.gmm.components) components"
                print("\(m.speaker)\t\(String(format: "%.1f", t.speechSeconds)) s of speech\t\(t.files) file(s)\t\(how)\t\(date)")
                if files { for s in t.sources ?? [] { print("  \(s.path)\t\(String(format: "%.1f", s.speechSeconds)) s\t\(s.checksum ?? "-")") } }
            }
        }
        try finishBatch(failed: failed, total: paths.count, skipBad: false, noun: "model file")
    }
}

struct SpeakersRename: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rename", abstract: "Rename an enrolled speaker (the model is rewritten atomically under the new name).")

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @Argument(help: "The speaker's current name.")
    var old: String
    @Argument(help: "The new name.")
    var new: String

    func run() throws {
        let store = ModelStore(directory: models)
        let path = try store.rename(try SpeakerName(old), to: try SpeakerName(newSpeaker: new))
        Console.progress("renamed \(old.debugDescription) to \(new.debugDescription): \(path)", quiet: false)
    }
}

struct SpeakersRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove enrolled speakers' models.")

    @Option(help: ArgumentHelp("Folder of speaker models.", valueName: "dir"))
    var models = "models"
    @Argument(help: "Speakers to remove.")
    var speakers: [String]

    func run() throws {
        let store = ModelStore(directory: models)
        var failed = 0
        for s in speakers {
            do {
                try store.remove(try SpeakerName(s))
                Console.progress("removed \(s.debugDescription)", quiet: false)
            } catch {
                Console.warn("\(error)")
                failed += 1
            }
        }
        try finishBatch(failed: failed, total: speakers.count, skipBad: false, noun: "speaker")
    }
}
