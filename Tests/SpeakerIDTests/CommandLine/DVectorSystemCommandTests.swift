import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// identify, verify and evaluate with `--system dvector`, end to end through the tool, with a
/// small random-weight encoder (the pipeline is the real one; the weights need no wheel).
struct DVectorSystemCommandTests {
    /// Three synthetic voices, two files each to enrol and one to test (protocol.tsv), a small
    /// encoder, and the voices enrolled with it.
    struct Fixture {
        let dir = TempDir()
        var encoder: String { dir.file("test.encoder") }
        var models: String { dir.file("models") }
        var corpus: String { dir.file("corpus") }
        func clip(_ voice: String) -> String { dir.file("corpus/\(voice)/2.wav") }

        init() throws {
            var protocolText = "speaker\tpath\tsplit\n"
            for (i, (name, pitch)) in [("low", 90.0), ("mid", 160.0), ("high", 260.0)].enumerated() {
                try FileManager.default.createDirectory(atPath: dir.file("corpus/\(name)"), withIntermediateDirectories: true)
                for j in 0..<3 {
                    let x = SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: UInt64(i * 10 + j), pitch: pitch)
                    try AudioWriter.write(x, sampleRate: 16000, to: dir.file("corpus/\(name)/\(j).wav"))
                    protocolText += "\(name)\t\(name)/\(j).wav\t\(j < 2 ? "enroll" : "test")\n"
                }
            }
            try protocolText.write(toFile: dir.file("corpus/protocol.tsv"), atomically: true, encoding: .utf8)
            _ = try EncoderResources.writeSmallEncoder(to: encoder)
            let e = try CLI.run([
                "enroll", "--models", models, "--corpus", corpus, "--split", "enroll", "--encoder", encoder,
                "--components", "4", "-q",
            ])
            #expect(e.status == 0, "\(e.stderr)")
        }
    }

    /// identify's cosines are the library's: the clip's embedding against each stored d-vector.
    @Test func identifyRanksByTheCosineToEachDVector() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let r = try CLI.run(["identify", "--models", f.models, "--system", "dvector", "--encoder", f.encoder, "--json", f.clip("mid")])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(CLI.jsonLines(r.stdout).first)
        #expect(o["system"] as? String == "dvector" && o["decision"] as? String == "identified", "\(o)")
        let ranking = try #require(o["ranking"] as? [[String: Any]])
        #expect(ranking.count == 3)
        let encoder = try SpeakerEncoder.load(path: f.encoder)
        let embedding = try encoder.embedding(of: .file(f.clip("mid")))
        var previous = Double.infinity
        for entry in ranking {
            let name = try #require(entry["speaker"] as? String), score = try #require(entry["score"] as? Double)
            let model = try ModelStore(directory: f.models).load(try SpeakerName(name))
            let d = try #require(model.dvector)
            #expect(abs(score - d.cosine(embedding)) < 1e-12, "\(name): \(score) vs \(d.cosine(embedding))")
            #expect(score <= previous)
            previous = score
        }
        #expect(abs((o["speech_seconds"] as? Double ?? 0) - embedding.speechSeconds) < 1e-9)
        // A threshold above every cosine rejects; one below accepts the best.
        let top = ranking[0]["score"] as? Double ?? 0
        let rejected = try CLI.run([
            "identify", "--models", f.models, "--system", "dvector", "--encoder", f.encoder, "--json",
            "--threshold", "\(min(1, top + 1e-6))", f.clip("mid"),
        ])
        #expect(CLI.jsonLines(rejected.stdout).first?["decision"] as? String == "rejected", "\(rejected.stdout)")
        let v = try CLI.run([
            "verify", "--models", f.models, "--system", "dvector", "--encoder", f.encoder, "--speaker",
            ranking[0]["speaker"] as? String ?? "", "--threshold", "\(top - 1e-6)", "--json", f.clip("mid"),
        ])
        let vo = try #require(CLI.jsonLines(v.stdout).first)
        #expect(
            v.status == 0 && vo["decision"] as? String == "accepted" && abs((vo["score"] as? Double ?? 0) - top) < 1e-12, "\(v.stdout)\(v.stderr)")
    }

    /// evaluate reports the cosines' identification and verification figures (no Cllr: cosines
    /// are not LLRs), and its score file names the system and the encoder; calibrate refuses
    /// that file in one line.
    @Test func evaluateScoresCosinesAndSaysSo() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        let scores = f.dir.file("dv.tsv")
        let r = try CLI.run([
            "evaluate", "--models", f.models, "--corpus", f.corpus, "--system", "dvector", "--encoder", f.encoder,
            "--segment-seconds", "0.5", "--scores", scores, "--json", "-q",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(CLI.jsonLines(r.stdout).first)
        #expect(o["system"] as? String == "dvector" && o["eer"] is Double && o["cllr"] == nil && o["act_dcf"] == nil, "\(o.keys.sorted())")
        let text = try String(contentsOfFile: scores, encoding: .utf8)
        let identity = try SpeakerEncoder.load(path: f.encoder).identity.checksum
        #expect(text.contains("# system dvector\n") && text.contains("# encoder \(identity)\n"), "\(text.prefix(300))")
        // Each whole-file row's score is the cosine identify gives for that file and model.
        let file = try ScoreFile.read(path: scores)
        #expect(file.header?.system == .dvector)
        let encoder = try SpeakerEncoder.load(path: f.encoder)
        for row in file.scores where row.seconds == nil {
            let model = try ModelStore(directory: f.models).load(try SpeakerName(row.model))
            let e = try encoder.embedding(of: .file(row.path))
            #expect(abs(row.score - (model.dvector?.cosine(e) ?? .nan)) < 1e-9, "\(row.path) \(row.model)")
        }
        // calibrate fits the cosines (the file says which system and encoder); the calibration
        // then turns identify's cosines into LLRs that rise with them, and is refused by the
        // gmm system and by another encoder.
        let cal = f.dir.file("dv.cal")
        let c = try CLI.run(["calibrate", "--models", f.models, "--scores", scores, "--quality", "none", "--out", cal, "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        let calibration = try Calibration.load(path: cal)
        #expect(calibration.provenance.system == .dvector && calibration.provenance.encoder == identity)
        let i = try CLI.run([
            "identify", "--models", f.models, "--system", "dvector", "--encoder", f.encoder, "--calibration", cal,
            "--json", f.clip("low"), f.clip("high"),
        ])
        #expect(i.status == 0, "\(i.stderr)")
        for o in CLI.jsonLines(i.stdout) {
            let ranking = try #require(o["ranking"] as? [[String: Any]])
            let speech = try #require(o["speech_seconds"] as? Double)
            for entry in ranking {
                let cosine = try #require(entry["score"] as? Double), llr = try #require(entry["llr"] as? Double)
                let model = try ModelStore(directory: f.models).load(try SpeakerName(entry["speaker"] as? String ?? ""))
                let expected = calibration.llr(score: cosine, testSeconds: speech, enrolSeconds: model.training.speechSeconds)
                #expect(abs(llr - expected) < 1e-9, "\(entry)")
            }
            let llrs = ranking.compactMap { $0["llr"] as? Double }
            #expect(llrs == llrs.sorted(by: >), "ranked by LLR: \(llrs)")
            let accepted = (o["llr"] as? Double ?? -.infinity) >= DecisionCosts().bayesThreshold
            #expect((o["decision"] as? String == "accepted") == accepted, "\(o)")
        }
        let gmm = try CLI.run(["identify", "--models", f.models, "--calibration", cal, f.clip("low")])
        #expect(gmm.status == 1 && gmm.stderr.contains("dvector"), "\(gmm.stderr)")
        let other = f.dir.file("other.encoder")
        _ = try EncoderResources.writeSmallEncoder(to: other, seed: 2)
        let wrong = try CLI.run(["identify", "--models", f.models, "--system", "dvector", "--encoder", other, "--calibration", cal, f.clip("low")])
        #expect(wrong.status == 1 && wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")
    }

    /// What the d-vector system cannot do is refused before any work, in one line.
    @Test func refusals() throws {
        let f = try Fixture()
        defer { f.dir.cleanup() }
        // An encoder named but absent: enrol refuses and writes nothing.
        let r0 = try CLI.run([
            "enroll", "--models", f.dir.file("plain"), "--speaker", "low", "--encoder", f.dir.file("absent.encoder"), f.clip("low"),
        ])
        #expect(
            r0.status == 1 && r0.stderr.contains("absent.encoder") && !FileManager.default.fileExists(atPath: f.dir.file("plain")), "\(r0.stderr)")
        let cases: [([String], Int32, String)] = [
            (["verify", "--models", f.models, "--system", "dvector", "--encoder", f.encoder, "--speaker", "low", f.clip("low")], 64, "--threshold"),
            (["identify", "--models", f.models, "--system", "dvector", "--encoder", f.encoder, "--threshold", "2", f.clip("low")], 64, "cosine"),
            (
                [
                    "evaluate", "--models", f.models, "--corpus", f.corpus, "--system", "dvector", "--encoder", f.encoder, "--score-norm", "znorm",
                    "--cohort", f.corpus,
                ], 64, "--system dvector"
            ),
            (
                ["identify", "--models", f.models, "--system", "dvector", "--encoder", f.dir.file("absent.encoder"), f.clip("low")], 1,
                "absent.encoder"
            ),
        ]
        for (args, status, needle) in cases {
            let r = try CLI.run(args)
            #expect(r.status == status && r.stderr.contains(needle), "\(args.prefix(3)): \(r.status) \(r.stderr)")
        }
        // A folder enrolled without the encoder: identify names the speaker without a d-vector.
        let folder = f.dir.file("without")
        let e = try CLI.runTool(
            "/usr/bin/env",
            [
                "SPEAKERID_ENCODER=" + f.dir.file("nowhere"), CLI.binary, "enroll", "--models", folder,
                "--speaker", "low", "--components", "4", "-q", f.clip("low"),
            ])
        #expect(e.status == 0, "\(e.stderr)")
        let r = try CLI.run(["identify", "--models", folder, "--system", "dvector", "--encoder", f.encoder, f.clip("low")])
        #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("\"low\" has no d-vector"), "\(r.stderr)")
    }
}
