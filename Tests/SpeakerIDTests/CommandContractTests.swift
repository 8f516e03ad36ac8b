import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// What every command owes its user whatever the input: JSON that is whole or an error,
/// names a timeline can tell apart, files described by `info`, messages about the right cause.
struct CommandContractTests {
    typealias CLI = CommandLineTests

    /// Standard output of a `--json` run: one or more whole JSON objects, never `{}`; or an
    /// error of one line with nothing on standard output.
    static func wholeJSONOrOneLine(_ r: CLI.Run, _ what: String) {
        if r.status == 0 {
            let lines = r.stdout.split(separator: "\n")
            #expect(!lines.isEmpty, "\(what): exit 0 and no JSON")
            for line in lines {
                let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(o != nil && !(o?.isEmpty ?? true), "\(what): \(line.prefix(200))")
            }
        } else {
            #expect(r.stdout.isEmpty, "\(what): output beside an error: \(r.stdout.prefix(200))")
            // A usage error adds the parser's two usage lines.
            let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage:") && !$0.hasPrefix("  See '") }
            #expect(lines.count == 1, "\(what): \(r.stderr.prefix(400))")
        }
    }

    /// `verify --json --prior 5e-324` and `identify --json --cost-miss 1e308 --cost-fa 1e-308`
    /// printed `{}` with exit 0; every command with --json, given the extremes of its decision
    /// options, prints whole JSON or one error line.
    @Test func jsonIsWholeOrAnError() throws {
        let (dir, ubm, models) = try CLI.ubmScenario()
        defer { dir.cleanup() }
        let clip = dir.file("corpus/mid/1.wav")
        let extremes: [[String]] = [
            ["--prior", "5e-324"], ["--prior", "1e-300"], ["--prior", "0.999999999999"], ["--cost-miss", "1e308", "--cost-fa", "1e-308"],
            ["--cost-miss", "1e-308", "--cost-fa", "1e308"], ["--threshold", "1e308"], ["--threshold", "-1e308"],
        ]
        let cal = dir.file("c.cal")
        let c = try CLI.run(["calibrate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus") + ":all", "--segment-seconds", "1",
                             "--out", cal, "-q"])
        #expect(c.status == 0, "\(c.stderr)")
        for options in extremes {
            let decision = options.contains("--threshold") ? options : options + ["--calibration", cal]
            Self.wholeJSONOrOneLine(try CLI.run(["verify", "--models", models, "--ubm", ubm, "--speaker", "mid", "--json"] + decision + [clip]),
                               "verify \(options)")
            Self.wholeJSONOrOneLine(try CLI.run(["identify", "--models", models, "--ubm", ubm, "--json"] + decision + [clip]), "identify \(options)")
            Self.wholeJSONOrOneLine(try CLI.run(["track", "--models", models, "--ubm", ubm, "--json"] + decision + [clip]), "track \(options)")
        }
    }

    /// `enroll` and `speakers rename` took `unknown` and `unknown-1`, after which `track`
    /// refused the whole folder; they are refused when given, and nothing is written.
    @Test func labelsOfUnknownSpeechAreNotNames() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clip = dir.file("a.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: 3), sampleRate: 16000, to: clip)
        let models = dir.file("m")
        for name in ["unknown", "unknown-1", "unknown-12"] {
            let r = try CLI.run(["enroll", "--models", models, "--speaker", name, "--components", "4", clip, "-q"])
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("nobody enrolled"), "\(name): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: models), "a refused enrolment made the folder")
        #expect(try CLI.run(["enroll", "--models", models, "--speaker", "unknowns", "--components", "4", clip, "-q"]).status == 0)
        #expect(try CLI.run(["enroll", "--models", models, "--speaker", "unknown-b", "--components", "4", clip, "-q"]).status == 0)
        let rename = try CLI.run(["speakers", "rename", "--models", models, "unknowns", "unknown-3"])
        #expect(rename.status != 0 && rename.stderr.contains("nobody enrolled"), "\(rename.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: models).filter { $0.hasSuffix(".gmm") }.sorted() == ["unknown-b.gmm", "unknowns.gmm"])
        // The library refuses them as new names too, and still finds one enrolled so before.
        #expect(throws: SpeakerNameError.unknownLabel("unknown")) { try SpeakerName(newSpeaker: "unknown") }
        #expect((try? SpeakerName("unknown")) != nil)
    }

    /// `enroll --add` on a model trained by EM blamed the UBM; it now says what the model is.
    @Test func addingToAnEMModelSaysWhy() throws {
        let (dir, ubm, _) = try CLI.ubmScenario()
        defer { dir.cleanup() }
        let em = dir.file("em")
        #expect(try CLI.run(["enroll", "--models", em, "--speaker", "low", "--components", "4", dir.file("corpus/low/0.wav"), "-q"]).status == 0)
        let r = try CLI.run(["enroll", "--models", em, "--speaker", "low", "--ubm", ubm, "--add", dir.file("corpus/low/1.wav")])
        #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("trained by EM")
                && !r.stderr.contains("not adapted from"), "\(r.stderr)")
    }

    /// `info` read only models ("wrong magic number" for the rest); it describes calibrations
    /// and statistics files too, in text and JSON.
    @Test func infoDescribesEveryFileTheToolWrites() throws {
        let (dir, ubm, models) = try CLI.ubmScenario()
        defer { dir.cleanup() }
        let cal = dir.file("c.cal"), stats = dir.file("s.stats")
        #expect(try CLI.run(["calibrate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus") + ":all", "--segment-seconds", "1",
                             "--out", cal, "-q"]).status == 0)
        #expect(try CLI.run(["accumulate", "--model", ubm, "--corpus", dir.file("background") + ":all", "--out", stats, "-q"]).status == 0)
        let text = try CLI.run(["info", cal, stats, dir.file("models/low.gmm")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("calibration") && text.stdout.contains("target and") && text.stdout.contains("EM statistics")
                && text.stdout.contains("speaker:     low"), "\(text.stdout)")
        let json = try CLI.run(["info", "--json", cal, stats])
        let objects = json.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.map { $0["kind"] as? String } == ["calibration", "statistics"])
        #expect(objects.first?["weights"] is [Double] && objects.first?["training_prior"] is Double)
        #expect((objects.last?["frames"] as? Double ?? 0) > 0 && objects.last?["shard_count"] as? Int == 1)
        // A file of neither kind still gets the model reader's one line.
        try Data("speakerid-calibrationX".utf8).write(to: URL(fileURLWithPath: dir.file("bad.cal")))
        let bad = try CLI.run(["info", dir.file("bad.cal")])
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
    }

    /// One absurd score in a score file (1e308) made calibrate allocate without bound; it is
    /// refused naming its line, and nothing is written.
    @Test func anAbsurdScoreIsRefusedByItsLine() throws {
        let (dir, ubm, models) = try CLI.ubmScenario()
        defer { dir.cleanup() }
        let scores = dir.file("s.tsv")
        #expect(try CLI.run(["evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
                             "--segment-seconds", "1", "--scores", scores, "-q"]).status == 0)
        var lines = try String(contentsOfFile: scores, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("file\t") })
        var fields = lines[header + 1].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        fields[6] = "1e308"
        lines[header + 1] = fields.joined(separator: "\t")
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: dir.file("big.tsv")))
        let r = try CLI.run(["calibrate", "--models", models, "--ubm", ubm, "--scores", dir.file("big.tsv"), "--out", dir.file("big.cal")])
        #expect(r.status == 1 && r.stderr.contains("big.tsv:\(header + 2)") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("big.cal")))
    }
}
