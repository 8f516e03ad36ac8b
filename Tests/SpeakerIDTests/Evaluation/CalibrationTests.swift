import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Calibration (issue #13): the fit against closed forms, the metrics against brute force and
/// lir, the file format, and the commands end to end.
struct CalibrationTests {
    static func gaussian(_ n: Int, mean: Double, sd: Double, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in mean + sd * rng.nextGaussian() }
    }

    static func provenance(_ t: Int = 0, _ n: Int = 0) -> CalibrationProvenance {
        CalibrationProvenance(
            ubmChecksum: "00000000000000aa", scoreNormalization: .none, frontEnd: FrontEndOptions(),
            targetTrials: t, nonTargetTrials: n, segmentSeconds: [0], source: "test")
    }

    /// Equal-variance Gaussian scores have a linear LLR: (mt - mn)/s^2 x - (mt^2 - mn^2)/(2 s^2).
    /// Logistic regression recovers it whatever prior it weights by.
    @Test func fitRecoversTheLinearLLROfGaussianScores() throws {
        let mt = 2.0, mn = -1.0, sd = 1.5
        let tar = Self.gaussian(40_000, mean: mt, sd: sd, seed: 1), non = Self.gaussian(40_000, mean: mn, sd: sd, seed: 2)
        let trials =
            tar.map { CalibrationTrial(score: $0, testSeconds: 1, enrolSeconds: 1, isTarget: true) }
            + non.map { CalibrationTrial(score: $0, testSeconds: 1, enrolSeconds: 1, isTarget: false) }
        let a = (mt - mn) / (sd * sd), b = -(mt * mt - mn * mn) / (2 * sd * sd)
        for prior in [0.5, 0.01] {
            let c = try Calibration.fit(trials, prior: prior, provenance: Self.provenance())
            #expect(abs(c.weights[0] - a) < 0.04 && abs(c.weights[1] - b) < 0.06, "prior \(prior): \(c.weights) vs \(a), \(b)")
        }
        // Scores that are already LLRs (a = 1, b = 0) stay as they are.
        let llrTar = tar.map { a * $0 + b }, llrNon = non.map { a * $0 + b }
        let same = try Calibration.fit(
            llrTar.map { CalibrationTrial(score: $0, testSeconds: 1, enrolSeconds: 1, isTarget: true) }
                + llrNon.map { CalibrationTrial(score: $0, testSeconds: 1, enrolSeconds: 1, isTarget: false) },
            prior: 0.5, provenance: Self.provenance())
        #expect(abs(same.weights[0] - 1) < 0.03 && abs(same.weights[1]) < 0.03, "\(same.weights)")
    }

    /// With the duration quality measure, scores whose scale grows with the test duration are
    /// mapped to the LLR of each duration.
    @Test func durationQualityLearnsAScaleThatDependsOnDuration() throws {
        var trials: [CalibrationTrial] = []
        var rng = SeededRandom(seed: 3)
        for _ in 0..<30_000 {
            // Short clips (1 s) separate less than long ones (8 s): means +-0.5 vs +-2, sd 1.
            let long = rng.nextUnit() < 0.5, target = rng.nextUnit() < 0.5
            let m = (long ? 2.0 : 0.5) * (target ? 1 : -1)
            trials.append(CalibrationTrial(score: m + rng.nextGaussian(), testSeconds: long ? 8 : 1, enrolSeconds: 20, isTarget: target))
        }
        let c = try Calibration.fit(trials, prior: 0.5, quality: .duration, provenance: Self.provenance())
        // True LLR: 2 m x for unit variance and means +-m: slope 1 at 1 s, 4 at 8 s; offset 0.
        #expect(abs(c.llr(score: 1, testSeconds: 1, enrolSeconds: 20) - 1) < 0.1, "\(c.weights)")
        #expect(abs(c.llr(score: 1, testSeconds: 8, enrolSeconds: 20) - 4) < 0.2, "\(c.weights)")
        let plain = try Calibration.fit(trials, prior: 0.5, provenance: Self.provenance())
        #expect(abs(plain.llr(score: 1, testSeconds: 8, enrolSeconds: 20) - 4) > 1, "without the quality measure one slope serves both")
    }

    @Test func tooFewTrialsAreRefusedSayingHowMany() {
        let trials =
            (0..<9).map { CalibrationTrial(score: Double($0), testSeconds: 1, enrolSeconds: 1, isTarget: true) }
            + (0..<50).map { CalibrationTrial(score: Double(-$0), testSeconds: 1, enrolSeconds: 1, isTarget: false) }
        #expect(throws: CalibrationError.tooFewTrials(targets: 9, nonTargets: 50, needed: 10)) {
            try Calibration.fit(trials, provenance: Self.provenance())
        }
        #expect(CalibrationError.tooFewTrials(targets: 9, nonTargets: 50, needed: 10).description.contains("at least 10"))
    }

    @Test func metricsAgainstClosedFormsAndBruteForce() throws {
        // LLR 0 for every trial costs exactly one bit.
        #expect(CalibrationMetrics.cllr(targets: [0, 0], nonTargets: [0, 0, 0]) == 1)
        // Perfectly separated scores: the optimal map gives infinite LLRs, minCllr 0.
        #expect(CalibrationMetrics.minCllr(targets: [3, 4], nonTargets: [-1, 0, 1]) == 0)
        // minCllr never exceeds Cllr, and PAV ties pool: one score for all gives minCllr 1.
        let tar = Self.gaussian(500, mean: 1, sd: 1, seed: 5), non = Self.gaussian(2000, mean: -1, sd: 1, seed: 6)
        let c = try #require(CalibrationMetrics.cllr(targets: tar, nonTargets: non))
        let m = try #require(CalibrationMetrics.minCllr(targets: tar, nonTargets: non))
        #expect(m <= c + 1e-12)
        #expect(abs((CalibrationMetrics.minCllr(targets: [1, 1], nonTargets: [1, 1, 1]) ?? 0) - 1) < 1e-12)
        // PAV's map is non-decreasing in the score.
        let (lt, ln) = CalibrationMetrics.optimalLLRs(targets: tar, nonTargets: non)
        let pairs = (zip(tar, lt).map { ($0, $1) } + zip(non, ln).map { ($0, $1) }).sorted { $0.0 < $1.0 }
        #expect(zip(pairs, pairs.dropFirst()).allSatisfy { $0.1 <= $1.1 })
        // The Bayes threshold of SRE 2008's costs: log(0.99 / 0.1).
        #expect(abs(CalibrationMetrics.bayesThreshold(DetectionMetrics.CostModel()) - log(9.9)) < 1e-12)
        // actDCF by brute force at that threshold.
        var cost = DetectionMetrics.CostModel()
        cost.pTarget = 0.2
        let th = 0.3
        let pm = Double(tar.filter { $0 < th }.count) / 500, pf = Double(non.filter { $0 >= th }.count) / 2000
        let want = (10 * pm * 0.2 + 1 * pf * 0.8) / min(10 * 0.2, 0.8)
        #expect(abs((CalibrationMetrics.detectionCost(targets: tar, nonTargets: non, threshold: th, cost: cost) ?? 0) - want) < 1e-12)
        // The Bayes error curve: minimum never above actual, and at log-odds 0 the minimum is
        // the brute-force minimum over all thresholds of (P_miss + P_fa) / 1.
        let curve = CalibrationMetrics.bayesErrorCurve(targets: tar, nonTargets: non, logOdds: [-2, 0, 2])
        #expect(curve.allSatisfy { $0.minimum <= $0.actual + 1e-12 })
        var brute = 2.0
        for t in tar + non + [Double.infinity] {
            let misses = Double(tar.filter { $0 < t }.count) / 500
            let alarms = Double(non.filter { $0 >= t }.count) / 2000
            brute = min(brute, misses + alarms)
        }
        #expect(abs(curve[1].minimum - brute) < 1e-12)
        #expect(abs(CalibrationMetrics.posterior(llr: log(99), prior: 0.01) - 0.5) < 1e-12)
    }

    @Test func fileRoundTripAndDamageRefused() throws {
        var fe = FrontEndOptions()
        fe.vad.thresholdDB = 35
        var p = Self.provenance(12, 300)
        p.frontEnd = fe
        p.scoreNormalization = .tnorm
        p.tnormCohort = "00000000000000cc"
        let c = Calibration(
            quality: .duration, weights: [1.5, 0.1, -0.2, -3, 0.4, 0.05], trainingPrior: 0.01, provenance: p, toolVersion: "x",
            testSeconds: 0.5...8, enrolSeconds: 10...60)
        let bytes = try c.encoded()
        #expect(try Calibration.decode(bytes, name: "c") == c)
        for i in stride(from: 0, to: bytes.count, by: 7) {
            var b = bytes
            b[i] ^= 0x20
            #expect(throws: CalibrationError.self) { try Calibration.decode(b, name: "c") }
        }
        for n in stride(from: 0, to: bytes.count - 1, by: 13) {
            #expect(throws: CalibrationError.self) { try Calibration.decode(Array(bytes.prefix(n)), name: "c") }
        }
        var future = bytes
        future[Array("speakerid-calibration ".utf8).count] = UInt8(ascii: "9")
        #expect(throws: CalibrationError.self) { try Calibration.decode(future, name: "c") }
        // Scores made otherwise are refused.
        #expect(throws: CalibrationError.self) { try c.check(ubmChecksum: "00000000000000bb", frontEnd: fe, scoreNormalization: .tnorm, what: "m") }
        #expect(throws: CalibrationError.self) {
            try c.check(ubmChecksum: p.ubmChecksum, frontEnd: FrontEndOptions(), scoreNormalization: .tnorm, what: "m")
        }
        #expect(throws: CalibrationError.self) { try c.check(ubmChecksum: p.ubmChecksum, frontEnd: fe, scoreNormalization: .none, what: "m") }
        // Another T-norm cohort, or none named, is refused too (audit P4).
        #expect(throws: CalibrationError.self) {
            try c.check(ubmChecksum: p.ubmChecksum, frontEnd: fe, scoreNormalization: .tnorm, tnormCohort: "00000000000000dd", what: "m")
        }
        #expect(throws: CalibrationError.self) { try c.check(ubmChecksum: p.ubmChecksum, frontEnd: fe, scoreNormalization: .tnorm, what: "m") }
        try c.check(ubmChecksum: p.ubmChecksum, frontEnd: fe, scoreNormalization: .tnorm, tnormCohort: p.tnormCohort, what: "m")
    }

    /// A file of format version 1 (before cohorts were recorded) still loads: usable on raw
    /// scores as before, refused with a score normalisation, whose cohort it does not name.
    @Test func versionOneFilesLoadButNameNoCohort() throws {
        func versionOne(_ c: Calibration) throws -> [UInt8] {
            var text = String(decoding: try c.encoded(), as: UTF8.self)
            text = String(text[..<text.range(of: "crc64 ")!.lowerBound])
            text = text.replacingOccurrences(of: "speakerid-calibration \(Calibration.gmmFormatVersion)\n", with: "speakerid-calibration 1\n")
            return Array(text.utf8) + Array(String(format: "crc64 %016llx\n", CRC64.checksum(Array(text.utf8))).utf8)
        }
        let raw = Calibration(quality: .none, weights: [1, 0], trainingPrior: 0.01, provenance: Self.provenance(10, 10), toolVersion: "x")
        let old = try Calibration.decode(try versionOne(raw), name: "old.cal")
        #expect(old.fileVersion == 1 && old.weights == raw.weights)
        try old.check(ubmChecksum: "00000000000000aa", frontEnd: FrontEndOptions(), scoreNormalization: .none, what: "m")
        var p = Self.provenance(10, 10)
        p.scoreNormalization = .tnorm
        let normed = try Calibration.decode(
            try versionOne(Calibration(quality: .none, weights: [1, 0], trainingPrior: 0.01, provenance: p, toolVersion: "x")), name: "old.cal")
        do {
            try normed.check(
                ubmChecksum: "00000000000000aa", frontEnd: FrontEndOptions(), scoreNormalization: .tnorm, tnormCohort: "00000000000000cc", what: "m")
            Issue.record("a version-1 T-norm calibration was accepted with a cohort")
        } catch {
            #expect(error.description.contains("format-1") && error.description.contains("T-norm cohort"), "\(error)")
        }
    }

    /// Audit P4 and P5: a calibration records the T-norm cohort it was trained with and is
    /// refused with another; evaluate --scores files record their system in "#" lines, and
    /// calibrate --scores refuses a file made with another UBM, other models or another
    /// normalisation, and warns (once) about a file that does not say.
    @Test func calibrationsKnowTheirCohortAndScoreFilesTheirSystem() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        func oneLine(_ r: CLI.Run, _ status: Int32, _ mentions: [String], _ what: String) {
            #expect(
                r.status == status && r.stderr.split(separator: "\n").count == 1 && mentions.allSatisfy(r.stderr.contains),
                "\(what): \(r.status) \(r.stderr)")
        }
        let cohort = f.dir.file("cohort"), cohort2 = f.dir.file("cohort2")
        #expect(
            try CLI.run(["enroll", "--models", cohort, "--corpus", f.dir.file("background"), "--split", "all", "--ubm", f.ubm, "-q"]).status == 0)
        try FileManager.default.copyItem(atPath: cohort, toPath: cohort2)
        #expect(try CLI.run(["enroll", "--models", cohort2, "--speaker", "extra", "--ubm", f.ubm, f.clip("high", 0), "-q"]).status == 0)
        // P4: fitted on held-out trials T-normed by one cohort, refused with another.
        let tn = f.dir.file("tn.cal")
        let c = try CLI.run([
            "calibrate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus") + ":all",
            "--tnorm-models", cohort, "--segment-seconds", "0.5", "--out", tn, "-q",
        ])
        #expect(c.status == 0, "\(c.stderr)")
        let verify = ["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--calibration", tn, f.clip("low", 1)]
        #expect(try CLI.run(verify + ["--tnorm-models", cohort]).status == 0)
        oneLine(try CLI.run(verify + ["--tnorm-models", cohort2]), 1, ["another cohort", tn], "verify with another cohort")
        oneLine(
            try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--calibration", tn, "--tnorm-models", cohort2, f.clip("low", 1)]),
            1, ["another cohort"], "identify with another cohort")
        oneLine(
            try CLI.run([
                "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all",
                "--score-norm", "tnorm", "--tnorm-models", cohort2, "--calibration", tn,
            ]), 1, ["another cohort"], "evaluate with another cohort")

        // P5: score files name their system.
        let evaluate = [
            "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all",
            "--segment-seconds", "0.5", "-q",
        ]
        let raw = f.dir.file("raw.tsv"), normed = f.dir.file("tn.tsv")
        #expect(try CLI.run(evaluate + ["--scores", raw]).status == 0)
        #expect(try CLI.run(evaluate + ["--score-norm", "tnorm", "--tnorm-models", cohort, "--scores", normed]).status == 0)
        let calibrate = ["calibrate", "--models", f.adapted, "--ubm", f.ubm, "--out", f.dir.file("s.cal")]
        let ok = try CLI.run(calibrate + ["--scores", raw])
        #expect(ok.status == 0 && ok.stderr.isEmpty, "\(ok.stderr)")
        // The normalisation: what the columns show, what the header says.
        oneLine(try CLI.run(calibrate + ["--scores", normed]), 1, ["normalised", "--score-norm"], "T-normed scores taken for raw")
        oneLine(try CLI.run(calibrate + ["--scores", raw, "--score-norm", "tnorm"]), 1, ["raw"], "raw scores taken for T-normed")
        oneLine(try CLI.run(calibrate + ["--scores", normed, "--score-norm", "znorm"]), 1, ["tnorm", "znorm"], "another normalisation")
        // A T-normed file's calibration carries the file's cohort.
        let fromFile = f.dir.file("s.cal")
        #expect(try CLI.run(calibrate + ["--scores", normed, "--score-norm", "tnorm"]).status == 0)
        let fileVerify = ["verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--calibration", fromFile, f.clip("low", 1)]
        #expect(try CLI.run(fileVerify + ["--tnorm-models", cohort]).status == 0)
        oneLine(try CLI.run(fileVerify + ["--tnorm-models", cohort2]), 1, ["another cohort"], "score-file calibration with another cohort")
        // Other models (same UBM), another UBM: refused naming both.
        oneLine(
            try CLI.run(["calibrate", "--models", cohort, "--ubm", f.ubm, "--scores", raw, "--out", f.dir.file("x.cal")]),
            1, ["other models", cohort], "other models")
        let ubm2 = f.dir.file("ubm2.gmm"), m2 = f.dir.file("m2")
        #expect(try CLI.run(["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "8", "--out", ubm2, "-q"]).status == 0)
        #expect(try CLI.run(["enroll", "--models", m2, "--corpus", f.dir.file("corpus"), "--split", "all", "--ubm", ubm2, "-q"]).status == 0)
        oneLine(
            try CLI.run(["calibrate", "--models", m2, "--ubm", ubm2, "--scores", raw, "--out", f.dir.file("x.cal")]),
            1, ["UBM with checksum", "--ubm is"], "another UBM")
        #expect(!FileManager.default.fileExists(atPath: f.dir.file("x.cal")))
        // A file without the header (a user's own): accepted with one warning line; normalised
        // scores without it are refused, since their cohort is unknown.
        func stripped(_ path: String) throws -> String {
            let text =
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n") + "\n"
            let out = path + ".plain.tsv"
            try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            return out
        }
        let own = try CLI.run(["calibrate", "--models", m2, "--ubm", ubm2, "--scores", try stripped(raw), "--out", f.dir.file("own.cal")])
        #expect(own.status == 0 && own.stderr.split(separator: "\n").count == 1 && own.stderr.contains("could not be checked"), "\(own.stderr)")
        oneLine(
            try CLI.run(calibrate + ["--scores", try stripped(normed), "--score-norm", "tnorm"]), 1, ["cohort"], "normalised scores without a header")
        // score-report still reads the files.
        #expect(try CLI.run(["score-report", raw]).status == 0)
    }

    /// Audit P6 and P14a: calibrate --scores says what it needs and what is wrong with the
    /// file; the test split is refused.
    @Test func calibrateSaysWhatItNeeds() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.file("folder.tsv"), withIntermediateDirectories: true)
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 1), sampleRate: 16000, to: dir.file("a.wav"))
        #expect(try CLI.run(["enroll", "--models", dir.file("m"), "--speaker", "a", "--components", "4", dir.file("a.wav"), "-q"]).status == 0)
        let noModels = try CLI.run(["calibrate", "--scores", dir.file("dev.tsv"), "--out", dir.file("x.cal")])
        #expect(
            noModels.status == 64 && noModels.stderr.contains("--scores needs --models DIR") && noModels.stderr.contains("--ubm"),
            "\(noModels.stderr)")
        let missing = try CLI.run(["calibrate", "--models", dir.file("m"), "--scores", dir.file("nothing.tsv"), "--out", dir.file("x.cal")])
        #expect(missing.status == 1 && missing.stderr.contains("nothing.tsv: the score file does not exist"), "\(missing.stderr)")
        let folder = try CLI.run(["calibrate", "--models", dir.file("m"), "--scores", dir.file("folder.tsv"), "--out", dir.file("x.cal")])
        #expect(folder.status == 1 && folder.stderr.contains("folder.tsv: is a folder"), "\(folder.stderr)")
        for spec in [":test", ":Test "] {
            let test = try CLI.run(["calibrate", "--models", dir.file("m"), "--corpus", dir.path + spec, "--out", dir.file("x.cal")])
            #expect(test.status == 64 && test.stderr.contains("never see the test split"), "\(spec): \(test.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.cal")))
    }

    /// Audit P8: --prior and the costs without a calibration do nothing in identify, verify
    /// and track, and in evaluate without --ubm: refused. evaluate --ubm uses them for minDCF.
    @Test func decisionOptionsWithoutACalibrationAreRefused() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clip = dir.file("a.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 1), sampleRate: 16000, to: clip)
        for (args, option) in [
            (["identify", clip, "--prior", "0.5"], "--prior"),
            (["verify", "--ubm", dir.file("u.gmm"), "--speaker", "a", clip, "--cost-fa", "3"], "--cost-fa"),
            (["verify", "--ubm", dir.file("u.gmm"), "--speaker", "a", clip, "--prior", "0.5", "--cost-miss", "3"], "--prior and --cost-miss"),
            (["track", clip, "--cost-miss", "2"], "--cost-miss"),
            (["evaluate", "--corpus", dir.path, "--prior", "0.2"], "--prior sets the detection cost"),
        ] {
            let r = try CLI.run(args + ["--models", dir.file("m")])
            #expect(r.status == 64 && r.stderr.contains(option) && r.stderr.hasPrefix("Error: "), "\(args): \(r.status) \(r.stderr)")
        }
    }

    static var lirAvailable: Bool {
        CLI.pythonCanImport("lir.metrics, lir.algorithms.logistic_regression")
    }

    /// The fit and the metrics against lir (PyPI), on the same score file.
    @Test(.enabled(if: lirAvailable, "needs python3 with lir (pip install lir)"))
    func agreesWithLir() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 1), sampleRate: 16000, to: dir.file("a.wav"))
        #expect(try CLI.run(["enroll", "--models", dir.file("m"), "--speaker", "a", "--components", "4", dir.file("a.wav"), "-q"]).status == 0)
        let script = Repository.root.appendingPathComponent("Tests/Calibration/check_lir.py").path
        let r = try CLI.runTool("/usr/bin/env", ["python3", script, CLI.binary, dir.file("m"), dir.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.components(separatedBy: " ok").count - 1 == 5, "\(r.stdout)")
    }

    /// calibrate, then identify, verify and evaluate with --calibration, through the CLI.
    @Test func commandsEndToEnd() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let cal = f.dir.file("dev.cal")
        let c = try CLI.run([
            "calibrate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus") + ":all",
            "--segment-seconds", "0.5", "--out", cal, "--json",
        ])
        #expect(c.status == 0, "\(c.stderr)")
        let cj = try #require(CLI.jsonLines(c.stdout).first)
        #expect((cj["target_trials"] as? Int ?? 0) >= 10 && (cj["cllr"] as? Double ?? 1) < (cj["raw_cllr"] as? Double ?? 0), "\(cj)")
        // verify: LLR and posterior; the default threshold is the Bayes threshold; --threshold wins.
        let v = try CLI.run([
            "verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--calibration", cal, "--json",
            f.clip("low", 1), f.clip("high", 1),
        ])
        let vj = CLI.jsonLines(v.stdout)
        #expect(v.status == 0 && vj.count == 2, "\(v.stderr)")
        let bayes = log(0.99 / 0.1)
        for o in vj {
            let llr = try #require(o["llr"] as? Double)
            #expect(abs((o["threshold"] as? Double ?? 0) - bayes) < 1e-9)
            #expect(abs((o["posterior"] as? Double ?? -1) - 1 / (1 + exp(-(llr + log(0.01 / 0.99))))) < 1e-12)
            #expect((o["decision"] as? String == "accepted") == (llr >= bayes))
        }
        #expect(vj[0]["decision"] as? String == "accepted" && vj[1]["decision"] as? String == "rejected", "\(vj)")
        let forced = try CLI.run([
            "verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--calibration", cal,
            "--threshold", "1000", "--json", f.clip("low", 1),
        ])
        #expect(CLI.jsonLines(forced.stdout).first?["decision"] as? String == "rejected")
        // identify: open set at the Bayes threshold.
        let i = try CLI.run(["identify", "--models", f.adapted, "--ubm", f.ubm, "--calibration", cal, "--json", f.clip("mid", 1)])
        let ij = try #require(CLI.jsonLines(i.stdout).first, "\(i.stderr)")
        #expect(ij["decision"] as? String == "accepted" && ij["speaker"] as? String == "mid" && ij["llr"] is Double, "\(ij)")
        // evaluate: Cllr, minCllr, actDCF at the top level and per segment length.
        let e = try CLI.run([
            "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all",
            "--segment-seconds", "1", "--calibration", cal, "--json",
        ])
        let ej = try #require(CLI.jsonLines(e.stdout).first, "\(e.stderr)")
        for o in [ej] + (ej["segments"] as? [[String: Any]] ?? []) {
            #expect(o["cllr"] is Double && o["min_cllr"] is Double && o["act_dcf"] is Double, "\(o.keys.sorted())")
            #expect((o["min_cllr"] as? Double ?? 2) <= (o["cllr"] as? Double ?? 0) + 1e-12)
        }
        // Refused: another UBM's calibration, another score normalisation.
        let ubm2 = f.dir.file("ubm2.gmm")
        #expect(try CLI.run(["train-ubm", "--corpus", f.dir.file("background") + ":all", "--components", "8", "--out", ubm2, "-q"]).status == 0)
        let m2 = f.dir.file("m2")
        #expect(try CLI.run(["enroll", "--models", m2, "--corpus", f.dir.file("corpus"), "--split", "all", "--ubm", ubm2, "-q"]).status == 0)
        let other = try CLI.run(["verify", "--models", m2, "--ubm", ubm2, "--speaker", "low", "--calibration", cal, f.clip("low", 1)])
        #expect(other.status == 1 && other.stderr.split(separator: "\n").count == 1 && other.stderr.contains("UBM with checksum"), "\(other.stderr)")
        let cohort = f.dir.file("cohort")
        #expect(
            try CLI.run(["enroll", "--models", cohort, "--corpus", f.dir.file("background"), "--split", "all", "--ubm", f.ubm, "-q"]).status == 0)
        let normed = try CLI.run([
            "verify", "--models", f.adapted, "--ubm", f.ubm, "--speaker", "low", "--tnorm-models", cohort,
            "--calibration", cal, f.clip("low", 1),
        ])
        #expect(normed.status == 1 && normed.stderr.contains("raw scores") && normed.stderr.contains("tnorm"), "\(normed.stderr)")
        // Too few development targets: whole files only, 3 held-out files.
        let few = try CLI.run([
            "calibrate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus") + ":all",
            "--segment-seconds", "", "--out", f.dir.file("few.cal"),
        ])
        #expect(
            few.status == 1 && few.stderr.contains("at least 10") && !FileManager.default.fileExists(atPath: f.dir.file("few.cal")), "\(few.stderr)")
    }
}
