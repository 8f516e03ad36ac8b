import ArgumentParser
import Foundation
import SpeakerID
import SpeakerIDDemo

struct DemoCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-corpus",
        abstract: "Build the demo corpus from Debian's Asterisk voice-prompt packages (7 voices, 8 kHz).",
        discussion: "Needs the packages: \(DemoCorpus.packages.joined(separator: " ")). See corpora/README.md for the split rule.")

    @Option(help: ArgumentHelp("Corpus folder to write.", valueName: "dir"))
    var out = "corpora/demo"
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds of enrolment audio per voice.", valueName: "s"))
    var enrollSeconds: Double = 60
    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds of test audio per voice.", valueName: "s"))
    var testSeconds: Double = 180
    @Flag(help: "Print the package names and exit.")
    var packages = false
    @Flag(help: "Print a JSON summary.")
    var json = false

    func run() throws {
        if packages {
            print(DemoCorpus.packages.joined(separator: " "))
            return
        }
        let s = try DemoCorpus.build(at: out, enrollSeconds: enrollSeconds, testSeconds: testSeconds)
        if json {
            print(
                jsonLine([
                    "corpus": out,
                    "voices": s.map {
                        [
                            "speaker": $0.speaker, "enroll_files": $0.enrollFiles, "enroll_seconds": $0.enrollSeconds,
                            "test_files": $0.testFiles, "test_seconds": $0.testSeconds,
                        ]
                    },
                ]))
            return
        }
        print("demo corpus in \(out): \(s.count) voices")
        for v in s {
            print(
                "  \(v.speaker.padding(toLength: 12, withPad: " ", startingAt: 0)) enrol \(v.enrollFiles) files (\(String(format: "%.1f", v.enrollSeconds)) s), test \(v.testFiles) files (\(String(format: "%.1f", v.testSeconds)) s)"
            )
        }
    }
}
