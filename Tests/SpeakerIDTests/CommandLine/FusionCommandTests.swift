import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The fusion of the GMM-UBM and d-vector systems end to end: calibrate --system fusion on
/// held-out halves, then identify, verify and evaluate with it (a small random-weight encoder).
struct FusionCommandTests {
    @Test func fusedLLRsCombineBothSystemsCalibratedScores() throws {
        let f = try DVectorSystemCommandTests.Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let cal = try f.calibration(.fusion, ubm: ubm, models: models)
        let calibration = try Calibration.load(path: cal)
        #expect(calibration.system == .fusion && calibration.parts?.map(\.system) == [.gmm, .dvector])
        #expect(calibration.weights.count == 3 && calibration.weights[0] >= 0 && calibration.weights[1] >= 0, "\(calibration.weights)")

        let clips = ["low", "mid", "high"].map(f.clip)
        let fused = try CLI.run(
            [
                "identify", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder,
                "--calibration", cal, "--json",
            ] + clips)
        #expect(fused.status == 0, "\(fused.stderr)")
        let gmm = try CLI.run(["identify", "--models", models, "--ubm", ubm, "--json", "--top", "3"] + clips)
        let dv = try CLI.run(["identify", "--models", models, "--system", "dvector", "--encoder", f.encoder, "--json", "--top", "3"] + clips)
        let (fo, go, dvo) = (CLI.jsonLines(fused.stdout), CLI.jsonLines(gmm.stdout), CLI.jsonLines(dv.stdout))
        #expect(fo.count == 3 && go.count == 3 && dvo.count == 3)
        for (k, o) in fo.enumerated() {
            #expect(o["system"] as? String == "fusion")
            let speech = try #require(o["speech_seconds"] as? Double)
            func byName(_ x: [String: Any]) -> [String: [String: Any]] {
                Dictionary(uniqueKeysWithValues: ((x["ranking"] as? [[String: Any]]) ?? []).map { ($0["speaker"] as? String ?? "", $0) })
            }
            let (g, d) = (byName(go[k]), byName(dvo[k]))
            let ranking = try #require(o["ranking"] as? [[String: Any]])
            var previous = Double.infinity
            for entry in ranking {
                let name = try #require(entry["speaker"] as? String)
                let s = try #require(entry["score"] as? Double), cosine = try #require(entry["dvector_score"] as? Double)
                let llr = try #require(entry["llr"] as? Double)
                // Each system's own score, as its own identify gives it.
                #expect(abs(s - (g[name]?["score"] as? Double ?? .nan)) < 1e-9 && abs(cosine - (d[name]?["score"] as? Double ?? .nan)) < 1e-9)
                let enrol = try ModelStore(directory: models).load(try SpeakerName(name)).training.speechSeconds
                let expected = calibration.llr(gmmScore: s, dvectorScore: cosine, testSeconds: speech, enrolSeconds: enrol)
                #expect(abs(llr - expected) < 1e-9, "\(entry)")
                #expect(llr <= previous)
                previous = llr
            }
            let accepted = (o["llr"] as? Double ?? -.infinity) >= DecisionCosts().bayesThreshold
            #expect((o["decision"] as? String == "accepted") == accepted, "\(o)")
        }
        // verify gives the claimed speaker's fused LLR as identify ranks it.
        for (k, o) in fo.enumerated() {
            for entry in (o["ranking"] as? [[String: Any]]) ?? [] {
                let name = entry["speaker"] as? String ?? ""
                let v = try CLI.run([
                    "verify", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder,
                    "--calibration", cal, "--speaker", name, "--json", clips[k],
                ])
                let vo = try #require(CLI.jsonLines(v.stdout).first, "\(v.stderr)")
                #expect(abs((vo["llr"] as? Double ?? .nan) - (entry["llr"] as? Double ?? 0)) < 1e-9, "\(vo)")
                let accepted = (vo["llr"] as? Double ?? -.infinity) >= DecisionCosts().bayesThreshold
                #expect((vo["decision"] as? String == "accepted") == accepted && vo["system"] as? String == "fusion", "\(vo)")
            }
        }
        // evaluate reports the fused LLRs' figures.
        let r = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder,
            "--calibration", cal, "--corpus", f.corpus, "--json", "-q",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(CLI.jsonLines(r.stdout).first)
        #expect(report["system"] as? String == "fusion" && report["cllr"] is Double, "\(report.keys.sorted())")
        // Each system side by side, with the keys of the report itself; the fusion's entry is
        // the report, and the two systems' figures are those their own evaluate gives.
        let systems = try #require(report["systems"] as? [String: [String: Any]], "\(report.keys.sorted())")
        #expect(Set(systems.keys) == ["gmm", "dvector", "fusion"])
        let topKeys = Set(report.keys).subtracting(["systems"])
        for (name, entry) in systems {
            #expect(Set(entry.keys) == topKeys && entry["system"] as? String == name, "\(name): \(entry.keys.sorted())")
        }
        #expect(systems["fusion"]?["accuracy"] as? Double == report["accuracy"] as? Double)
        #expect(systems["fusion"]?["eer"] as? Double == report["eer"] as? Double)
        let alone = [
            "gmm": try CLI.run(["evaluate", "--models", models, "--ubm", ubm, "--corpus", f.corpus, "--json", "-q"]),
            "dvector": try CLI.run([
                "evaluate", "--models", models, "--system", "dvector", "--encoder", f.encoder, "--corpus", f.corpus, "--json", "-q",
            ]),
        ]
        for (name, run) in alone {
            let own = try #require(CLI.jsonLines(run.stdout).first, "\(run.stderr)")
            #expect(own["systems"] as? [String: Any] != nil && (own["systems"] as? [String: Any])?.count == 1)
            for key in ["accuracy", "eer", "min_dcf"] {
                let a = try #require(systems[name]?[key] as? Double, "\(name) \(key)"), b = try #require(own[key] as? Double, "\(name) \(key)")
                #expect(abs(a - b) < 1e-12, "\(name) \(key): side by side \(a), alone \(b)")
            }
        }

        // What fusion needs, refused in one line before any work.
        let cases: [([String], Int32, String)] = [
            (["identify", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder, clips[0]], 64, "--calibration"),
            (
                [
                    "verify", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder,
                    "--speaker", "low", clips[0],
                ], 64, "--calibration"
            ),
            (
                [
                    "calibrate", "--models", models, "--system", "fusion", "--encoder", f.encoder, "--corpus", f.corpus + ":enroll",
                    "--out", f.dir.file("x.cal"),
                ], 64, "--ubm"
            ),
        ]
        for (args, status, needle) in cases {
            let run = try CLI.run(args)
            #expect(run.status == status && run.stderr.contains(needle), "\(args.prefix(4)): \(run.status) \(run.stderr)")
        }
        let gmmCal = try f.calibration(.gmm, ubm: ubm, models: models)
        let wrong = try CLI.run([
            "identify", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder,
            "--calibration", gmmCal, clips[0],
        ])
        #expect(wrong.status == 1 && wrong.stderr.split(separator: "\n").count == 1 && wrong.stderr.contains("gmm"), "\(wrong.stderr)")
    }

    /// evaluate --system fusion --scores writes one score column per system and the fused LLR
    /// (each row's LLR is the calibration's of its two scores); calibrate --system fusion fits a
    /// fusion from that file, and refuses a file of one system.
    @Test func aFusionScoreFileHasAColumnPerSystemAndCalibrates() throws {
        let f = try DVectorSystemCommandTests.Fixture()
        defer { f.dir.cleanup() }
        let (ubm, models) = try f.adaptedWithEncoder()
        let cal = try f.calibration(.fusion, ubm: ubm, models: models), gmmCal = try f.calibration(.gmm, ubm: ubm, models: models)
        let scores = f.dir.file("fused.tsv"), gmmScores = f.dir.file("gmm.tsv")
        let base = ["evaluate", "--models", models, "--ubm", ubm, "--corpus", f.corpus, "--segment-seconds", "0.5", "-q"]
        let e = try CLI.run(base + ["--system", "fusion", "--encoder", f.encoder, "--calibration", cal, "--scores", scores])
        #expect(e.status == 0, "\(e.stderr)")
        let file = try ScoreFile.read(path: scores)
        #expect(file.columns == .fused && file.header?.system == .fusion && !file.scores.isEmpty)
        let calibration = try Calibration.load(path: cal)
        for row in file.scores {
            let cosine = try #require(row.dvectorScore), llr = try #require(row.llr)
            let expected = calibration.llr(gmmScore: row.score, dvectorScore: cosine, testSeconds: row.testSeconds, enrolSeconds: row.enrolSeconds)
            #expect(abs(llr - expected) < 1e-9 * max(1, abs(llr)), "\(row)")
        }
        // The file reads back equal.
        #expect(try ScoreFile.parse(file.text, name: "again").scores == file.scores)
        let refit = f.dir.file("refit.cal")
        let c = try CLI.run([
            "calibrate", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder, "--scores", scores,
            "--quality", "none", "--out", refit, "-q",
        ])
        #expect(c.status == 0, "\(c.stderr)")
        let fitted = try Calibration.load(path: refit)
        #expect(fitted.system == .fusion && fitted.parts?.map(\.system) == [.gmm, .dvector] && fitted.weights.count == 3, "\(fitted.weights)")
        // A file of the GMM system alone cannot fit a fusion.
        let g = try CLI.run(base + ["--calibration", gmmCal, "--scores", gmmScores])
        #expect(g.status == 0, "\(g.stderr)")
        let refused = try CLI.run([
            "calibrate", "--models", models, "--ubm", ubm, "--system", "fusion", "--encoder", f.encoder, "--scores", gmmScores,
            "--out", f.dir.file("no.cal"),
        ])
        #expect(refused.status == 1 && refused.stderr.contains("dvector_score") && !FileManager.default.fileExists(atPath: f.dir.file("no.cal")))
    }

    static var sklearnAvailable: Bool {
        CLI.pythonCanImport("sklearn, numpy")
    }

    /// The fusion's logistic regression against scikit-learn's on the same trials (the two
    /// systems' calibrated LLRs, prior-weighted, unregularised): the same weights.
    @Test(.enabled(if: sklearnAvailable, "needs python3 with scikit-learn (pip install scikit-learn)"))
    func theFusionWeightsAreScikitLearnsLogisticRegression() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var rng = SeededRandom(seed: 11)
        func gauss() -> Double { (-2 * log(max(rng.nextUnit(), 1e-300))).squareRoot() * cos(2 * .pi * rng.nextUnit()) }
        var g: [CalibrationTrial] = [], d: [CalibrationTrial] = []
        for i in 0..<3000 {
            let target = i < 300
            g.append(CalibrationTrial(score: (target ? 0.8 : -0.4) + 0.7 * gauss(), testSeconds: 2, enrolSeconds: 20, isTarget: target))
            d.append(CalibrationTrial(score: (target ? 0.55 : 0.25) + 0.1 * gauss(), testSeconds: 2, enrolSeconds: 20, isTarget: target))
        }
        let p = CalibrationProvenance(
            ubmChecksum: "u", scoreNormalization: .none, frontEnd: FrontEndOptions(), targetTrials: 300,
            nonTargetTrials: 2700, segmentSeconds: [2], source: "test", encoder: "e")
        for prior in [0.5, 0.1] {
            let c = try Calibration.fitFusion(gmm: g, dvector: d, prior: prior, provenance: p)
            let parts = try #require(c.parts)
            var tsv = ""
            for (a, b) in zip(g, d) {
                tsv += "\(parts[0].llr(score: a.score, testSeconds: 2, enrolSeconds: 20))\t"
                tsv += "\(parts[1].llr(score: b.score, testSeconds: 2, enrolSeconds: 20))\t\(a.isTarget ? 1 : 0)\n"
            }
            try tsv.write(toFile: dir.file("trials.tsv"), atomically: true, encoding: .utf8)
            let script = Repository.root.appendingPathComponent("Tests/Calibration/check_fusion_sklearn.py").path
            let r = try CLI.runTool("/usr/bin/env", ["python3", script, dir.file("trials.tsv"), "\(prior)"])
            #expect(r.status == 0, "\(r.stderr)")
            let theirs = r.stdout.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            #expect(theirs.count == 3, "\(r.stdout)")
            for (k, (ours, sk)) in zip(c.weights, theirs).enumerated() {
                #expect(abs(ours - sk) < 1e-4 * max(1, abs(sk)), "prior \(prior), weight \(k): ours \(ours), scikit-learn \(sk)")
            }
        }
    }

    /// The fit: both systems informative gives non-negative weights and a fused Cllr no worse
    /// than either; a system whose scores fall with the target hypothesis is refused, named.
    @Test func theFitWeighsInformativeSystemsAndRefusesABackwardOne() throws {
        var rng = SeededRandom(seed: 7)
        func gauss() -> Double { (-2 * log(max(rng.nextUnit(), 1e-300))).squareRoot() * cos(2 * .pi * rng.nextUnit()) }
        var g: [CalibrationTrial] = [], d: [CalibrationTrial] = []
        for i in 0..<2000 {
            let target = i < 200
            let z1 = gauss(), z2 = gauss()
            g.append(CalibrationTrial(score: (target ? 1.0 : -0.5) + 0.8 * z1, testSeconds: 3, enrolSeconds: 30, isTarget: target))
            d.append(CalibrationTrial(score: (target ? 0.6 : 0.2) + 0.12 * z2, testSeconds: 3, enrolSeconds: 30, isTarget: target))
        }
        let p = CalibrationProvenance(
            ubmChecksum: "u", scoreNormalization: .none, frontEnd: FrontEndOptions(), targetTrials: 200,
            nonTargetTrials: 1800, segmentSeconds: [0], source: "test", encoder: "e")
        let c = try Calibration.fitFusion(gmm: g, dvector: d, prior: 0.5, provenance: p)
        #expect(c.weights[0] > 0 && c.weights[1] > 0, "\(c.weights)")
        func cllr(_ llr: (Int) -> Double) -> Double {
            let tar = (0..<200).map(llr), non = (200..<2000).map(llr)
            return CalibrationMetrics.cllr(targets: tar, nonTargets: non) ?? .nan
        }
        let fused = cllr { c.llr(gmmScore: g[$0].score, dvectorScore: d[$0].score, testSeconds: 3, enrolSeconds: 30) }
        let alone = try #require(c.parts)
        let gmmOnly = cllr { alone[0].llr(score: g[$0].score, testSeconds: 3, enrolSeconds: 30) }
        let dvOnly = cllr { alone[1].llr(score: d[$0].score, testSeconds: 3, enrolSeconds: 30) }
        #expect(fused < min(gmmOnly, dvOnly), "fused \(fused), gmm \(gmmOnly), dvector \(dvOnly)")
        // A d-vector system scoring non-targets higher cannot be calibrated, let alone fused.
        let backward = d.map { CalibrationTrial(score: -$0.score, testSeconds: 3, enrolSeconds: 30, isTarget: $0.isTarget) }
        #expect(throws: CalibrationError.self) { try Calibration.fitFusion(gmm: g, dvector: backward, prior: 0.5, provenance: p) }
        // Trials that do not pair up are refused.
        #expect(throws: CalibrationError.self) { try Calibration.fitFusion(gmm: g, dvector: Array(d.dropLast()), prior: 0.5, provenance: p) }
    }
}

extension DVectorSystemCommandTests.Fixture {
    /// A UBM of the enrolment split (8 components) and the three voices MAP-adapted from it
    /// with the encoder, in `adapted`: the models the fusion tests score.
    func adaptedWithEncoder() throws -> (ubm: String, models: String) {
        let ubm = dir.file("ubm.gmm"), models = dir.file("adapted")
        for args in [
            ["train-ubm", "--corpus", corpus + ":enroll", "--components", "8", "--out", ubm, "-q"],
            ["enroll", "--models", models, "--ubm", ubm, "--corpus", corpus, "--split", "enroll", "--encoder", encoder, "-q"],
        ] {
            let r = try CLI.run(args)
            guard r.status == 0 else { throw CLIFailure("\(args[0]): \(r.stderr)") }
        }
        return (ubm, models)
    }

    /// `system`'s calibration of `models`, fitted on 0.5-s segments of held-out halves of the
    /// enrolment split without a quality measure, written to `<system>.cal`.
    func calibration(_ system: ScoringSystem, ubm: String, models: String) throws -> String {
        let out = dir.file("\(system.rawValue).cal")
        let which = system == .gmm ? [] : ["--system", system.rawValue, "--encoder", encoder]
        let r = try CLI.run(
            ["calibrate", "--models", models, "--ubm", ubm] + which
                + ["--corpus", corpus + ":enroll", "--segment-seconds", "0.5", "--quality", "none", "--out", out])
        guard r.status == 0 else { throw CLIFailure("calibrate --system \(system.rawValue): \(r.stderr)") }
        return out
    }
}
