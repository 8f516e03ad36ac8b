import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// What every command owes its user whatever the input: JSON that is whole or an error,
/// names a timeline can tell apart, files described by `info`, messages about the right cause.
struct CommandContractTests {

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
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let clip = dir.file("corpus/mid/1.wav")
        let extremes: [[String]] = [
            ["--prior", "5e-324"], ["--prior", "1e-300"], ["--prior", "0.999999999999"], ["--cost-miss", "1e308", "--cost-fa", "1e-308"],
            ["--cost-miss", "1e-308", "--cost-fa", "1e308"], ["--threshold", "1e308"], ["--threshold", "-1e308"],
        ]
        let cal = dir.file("c.cal")
        let c = try CLI.run([
            "calibrate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus") + ":all", "--segment-seconds", "1",
            "--out", cal, "-q",
        ])
        #expect(c.status == 0, "\(c.stderr)")
        for options in extremes {
            let decision = options.contains("--threshold") ? options : options + ["--calibration", cal]
            Self.wholeJSONOrOneLine(
                try CLI.run(["verify", "--models", models, "--ubm", ubm, "--speaker", "mid", "--json"] + decision + [clip]),
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
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: models).filter { $0.hasSuffix(".gmm") }.sorted() == ["unknown-b.gmm", "unknowns.gmm"])
        // The library refuses them as new names too, and still finds one enrolled so before.
        #expect(throws: SpeakerNameError.unknownLabel("unknown")) { try SpeakerName(newSpeaker: "unknown") }
        #expect((try? SpeakerName("unknown")) != nil)
    }

    /// `enroll --add` on a model trained by EM blamed the UBM; it now says what the model is.
    @Test func addingToAnEMModelSaysWhy() throws {
        let (dir, ubm, _) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let em = dir.file("em")
        #expect(try CLI.run(["enroll", "--models", em, "--speaker", "low", "--components", "4", dir.file("corpus/low/0.wav"), "-q"]).status == 0)
        let r = try CLI.run(["enroll", "--models", em, "--speaker", "low", "--ubm", ubm, "--add", dir.file("corpus/low/1.wav")])
        #expect(
            r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("trained by EM")
                && !r.stderr.contains("not adapted from"), "\(r.stderr)")
    }

    /// `info` read only models ("wrong magic number" for the rest); it describes calibrations
    /// and statistics files too, in text and JSON.
    @Test func infoDescribesEveryFileTheToolWrites() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let cal = dir.file("c.cal"), stats = dir.file("s.stats")
        #expect(
            try CLI.run([
                "calibrate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus") + ":all", "--segment-seconds", "1",
                "--out", cal, "-q",
            ]).status == 0)
        #expect(try CLI.run(["accumulate", "--model", ubm, "--corpus", dir.file("background") + ":all", "--out", stats, "-q"]).status == 0)
        let text = try CLI.run(["info", cal, stats, dir.file("models/low.gmm")])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(
            text.stdout.contains("calibration") && text.stdout.contains("target and") && text.stdout.contains("EM statistics")
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
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let scores = dir.file("s.tsv")
        #expect(
            try CLI.run([
                "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
                "--segment-seconds", "1", "--scores", scores, "-q",
            ]).status == 0)
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

    /// bench and demo-corpus belong to the developers' tool, speakerid-dev, which links the
    /// synthetic voices and corpus builder; the user's tool has neither command.
    @Test func benchmarksAndTheDemoCorpusAreTheDevelopersTool() throws {
        let help = try CLI.run(["--help"]).stdout
        let dev = try CLI.runDev(["--help"])
        #expect(dev.status == 0 && dev.stdout.contains("bench") && dev.stdout.contains("demo-corpus"), "\(dev.stderr)")
        for command in [["bench", "score"], ["demo-corpus", "--packages"]] {
            #expect(!help.contains("  \(command[0]) "), "speakerid --help lists \(command[0])")
            let r = try CLI.run(command)
            #expect(r.status == 64, "speakerid \(command.joined(separator: " ")): \(r.status) \(r.stderr)")
        }
        let packages = try CLI.runDev(["demo-corpus", "--packages"])
        #expect(packages.status == 0 && packages.stdout.contains("asterisk-core-sounds-en-wav"), "\(packages.stderr)")
    }

    // One naming convention: every key of every command's JSON is snake_case and listed in
    // the README's table of JSON keys; score means the decision score everywhere.
    @Test func everyJSONKeyIsSnakeCaseAndDocumented() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        try FileManager.default.createDirectory(atPath: f.dir.file("impostors/imp"), withIntermediateDirectories: true)
        try AudioWriter.write(
            SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 77, pitch: 400), sampleRate: 16000, to: f.dir.file("impostors/imp/0.wav"))
        let plain = f.dir.file("plain"), cohort = f.dir.file("cohort")
        #expect(
            try CLI.run(["enroll", "--models", cohort, "--corpus", f.dir.file("background"), "--split", "all", "--ubm", f.ubm, "-q"]).status == 0)
        let cal = f.dir.file("dev.cal")
        let bad = f.dir.file("bad.wav")
        try Data("no".utf8).write(to: URL(fileURLWithPath: bad))
        // A transcript and an anonymous diarization of one clip, for label.
        let vtt = f.dir.file("clip.vtt"), diarization = f.dir.file("clip.rttm")
        try "WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n\n00:01.000 --> 00:02.500\nworld\n".write(toFile: vtt, atomically: true, encoding: .utf8)
        try (RTTM.line(file: RTTM.fileID(f.clip("low", 0)), start: 0, duration: 2.5, label: "SPEAKER_00") + "\n")
            .write(toFile: diarization, atomically: true, encoding: .utf8)
        let runs: [[String]] =
            [
                ["features", "--json", f.clip("low", 0)],
                ["features", "--summary", "--json", f.clip("low", 0)],
                ["enroll", "--models", plain, "--corpus", f.dir.file("corpus"), "--split", "all", "--components", "4", "--json"],
                ["identify", "--models", plain, "--json", f.clip("low", 0), bad],
                ["identify", "--models", f.adapted, "--ubm", f.ubm, "--tnorm-models", cohort, "--threshold", "0", "--json", f.clip("low", 0)],
                [
                    "verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--tnorm-models", cohort, "--threshold", "0", "--json",
                    f.clip("low", 0),
                ],
                [
                    "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--segment-seconds", "1",
                    "--impostors", f.dir.file("impostors"), "--threshold", "0", "--json",
                ],
                ["info", "--json", f.ubm, f.dir.file("adapted/low.gmm"), f.dir.file("plain/low.gmm")],
                ["speakers", "list", "--models", f.adapted, "--json"],
                ["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", f.dir.file("u4.gmm"), "--json"],
                ["bench", "score", "--models", "3", "--components", "8", "--frames", "200", "--dim", "4", "--json"],
                [
                    "calibrate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus") + ":all", "--segment-seconds", "0.5",
                    "--out", cal, "--json",
                ],
                ["identify", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--json", f.clip("low", 0)],
                ["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--calibration", cal, "--json", f.clip("low", 0)],
                [
                    "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--calibration", cal,
                    "--json",
                ],
                ["bench", "score", "--models", "3", "--components", "8", "--frames", "200", "--dim", "4", "--top-c", "2", "--json"],
                ["bench", "em", "--frames", "500", "--components", "4", "--dim", "3", "--iterations", "1", "--json"],
                ["bench", "features", "--seconds", "1", "--repeats", "1", "--audio-dir", f.dir.file("bench-audio")],
                ["bench", "gemm", "--components", "8", "--inner", "9", "--seconds", "0.01"],
                [
                    "track", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--rttm", f.dir.file("rttm"), "--json", f.clip("low", 0),
                    bad,
                ],
                [
                    "track", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--stream", "--idle-timeout", "0.2", "--json",
                    f.clip("mid", 0),
                ],
                ["evaluate-tracking", "--reference", f.dir.file("rttm"), "--hypothesis", f.dir.file("rttm"), "--json"],
                ["label", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--transcript", vtt, "--audio", f.clip("low", 0), "--json"],
                [
                    "label", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--diarization", diarization, "--audio", f.clip("low", 0),
                    "--json",
                ],
                // Sharded training and evaluation (issue #17), in order: each step reads the last one's file.
                ["init-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "4", "--out", f.dir.file("m0.gmm"), "--json"],
                [
                    "accumulate", "--model", f.dir.file("m0.gmm"), "--corpus", f.dir.file("background") + ":all", "--shard", "0/1",
                    "--out", f.dir.file("s0.stats"), "--json",
                ],
                ["sum-stats", "--out", f.dir.file("all.stats"), f.dir.file("s0.stats"), "--json"],
                ["update", "--model", f.dir.file("m0.gmm"), "--stats", f.dir.file("all.stats"), "--out", f.dir.file("m1.gmm"), "--json"],
                [
                    "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all", "--shard", "1/2",
                    "--scores", f.dir.file("part.tsv"), "--json",
                ],
                ["score-report", "--json", f.dir.file("part.tsv")],
            ]
            + (SlurmClusterTests.slurmIsUp
                ? [
                    [
                        "cluster", "train-ubm", "--engine", "slurm", "--corpus", f.dir.file("background") + ":all",
                        "--components", "4", "--iterations", "1", "--shards", "2", "--work", f.dir.file("work"),
                        "--out", f.dir.file("cluster.gmm"), "--threads", "1", "--json",
                    ]
                ] : [])
        let documented = try Readme.jsonKeys()
        var seen = Set<String>()
        func collect(_ v: Any) {
            if let o = v as? [String: Any] {
                for (k, x) in o {
                    seen.insert(k)
                    collect(x)
                }
            } else if let a = v as? [Any] {
                a.forEach(collect)
            }
        }
        for args in runs {
            // The benchmarks are the developers' tool's.
            let r = try args.first == "bench" ? CLI.runDev(args) : CLI.run(args)
            let lines = CLI.jsonLines(r.stdout)
            #expect(!lines.isEmpty, "\(args): \(r.stderr)")
            lines.forEach(collect)
        }
        let notSnake = seen.filter { $0.range(of: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$", options: .regularExpression) == nil }
        #expect(notSnake.isEmpty, "not snake_case: \(notSnake.sorted())")
        let undocumented = seen.subtracting(documented)
        #expect(undocumented.isEmpty, "keys missing from the README's JSON table: \(undocumented.sorted())")
        // info tells a UBM from an adapted model and names the adapted model's UBM.
        let info = CLI.jsonLines(try CLI.run(["info", "--json", f.ubm, f.dir.file("adapted/low.gmm")]).stdout)
        #expect(info.first?["kind"] as? String == "ubm" && (info.first?["checksum"] as? String)?.count == 16)
        let ref = info.last?["ubm"] as? [String: Any]
        #expect(
            info.last?["kind"] as? String == "map_adapted" && ref?["checksum"] as? String == info.first?["checksum"] as? String
                && ref?["adapted"] as? [String] == ["means"] && ref?["relevance"] as? Double == 16, "\(info)")
        // With T-norm, "score" is the T-normed score in identify as in verify; "raw_score" the ratio.
        let i = CLI.jsonLines(try CLI.run(runs[4]).stdout).first
        let v = CLI.jsonLines(try CLI.run(runs[5]).stdout).first
        let top = (i?["ranking"] as? [[String: Any]])?.first { $0["speaker"] as? String == "low" }
        #expect(abs((top?["score"] as? Double ?? .nan) - (v?["score"] as? Double ?? 0)) < 1e-9, "\(String(describing: top)) \(String(describing: v))")
        #expect(abs((top?["raw_score"] as? Double ?? .nan) - (v?["raw_score"] as? Double ?? 0)) < 1e-9)
    }
}
