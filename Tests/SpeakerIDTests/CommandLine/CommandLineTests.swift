import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The `speakerid` tool end to end, as a user runs it.
struct CommandLineTests {
    @Test func enrollIdentifyEvaluateInfo() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
        let models = dir.file("models")
        let e = try CLI.run(["enroll", "--models", models, "--corpus", dir.file("corpus"), "--split", "all", "--components", "8", "-q"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("models/low.gmm")))
        let i = try CLI.run(["identify", "--models", models, "--json", dir.file("corpus/high/2.wav")])
        #expect(i.status == 0, "\(i.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any]
        #expect(obj?["speaker"] as? String == "high")
        #expect((obj?["ranking"] as? [[String: Any]])?.count == 3)
        let v = try CLI.run([
            "evaluate", "--models", models, "--corpus", dir.file("corpus"), "--split", "all", "--segment-seconds", "0.5,1", "--json",
        ])
        #expect(v.status == 0, "\(v.stderr)")
        let r = try #require(try JSONSerialization.jsonObject(with: Data(v.stdout.utf8)) as? [String: Any])
        #expect(r["trials"] as? Int == 9)
        #expect((r["accuracy"] as? Double ?? 0) >= 0.99)
        let segs = try #require(r["segments"] as? [[String: Any]])
        #expect(segs.map { $0["segment_seconds"] as? Double } == [0.5, 1])
        #expect(segs.allSatisfy { ($0["trials"] as? Int ?? 0) > 9 && $0["accuracy"] is Double })
        let info = try CLI.run(["info", dir.file("models/mid.gmm")])
        #expect(info.status == 0 && info.stdout.contains("speaker:     mid") && info.stdout.contains("8 components"))

        // 8-kHz audio scored by 16-kHz models: a warning on standard error (not with -q) and in
        // the JSON; full-band audio gets none.
        let narrow = dir.file("narrow.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 2, sampleRate: 8000, seed: 7, pitch: 160), sampleRate: 8000, to: narrow)
        let w = try CLI.run(["identify", "--models", models, "--json", narrow])
        #expect(w.status == 0, "\(w.stderr)")
        let expected = "warning: " + narrow + ": 8000-Hz audio has no content above 4000 Hz"
        #expect(w.stderr.contains(expected), "\(w.stderr)")
        let wj = try JSONSerialization.jsonObject(with: Data(w.stdout.utf8)) as? [String: Any]
        let jsonWarning = wj?["warning"] as? String ?? ""
        #expect(jsonWarning.contains("with a front end at 8000 Hz"))
        let quiet = try CLI.run(["identify", "--models", models, "-q", narrow])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        let full = try CLI.run(["identify", "--models", models, "--json", dir.file("corpus/high/2.wav")])
        #expect(!full.stderr.contains("warning") && !full.stdout.contains("warning"), "\(full.stderr)")
    }

    @Test func trainUBMOptionsGiveTheSameModel() throws {
        let (dir, ubm, _) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let t = try CLI.run([
            "train-ubm", "--corpus", dir.file("background") + ":all", "--corpus", dir.file("corpus") + ":all",
            "--components", "16", "--out", ubm, "--json",
        ])
        #expect(t.status == 0, "\(t.stderr)")
        let tj = try JSONSerialization.jsonObject(with: Data(t.stdout.utf8)) as? [String: Any]
        #expect(tj?["files"] as? Int == 15 && (tj?["checksum"] as? String)?.count == 16)
        // EM's log-likelihood never falls (no component collapses at this size).
        let history = tj?["history"] as? [Double] ?? []
        #expect(history.count > 2 && zip(history, history.dropFirst()).allSatisfy { $1 >= $0 - 1e-4 * abs($0) })
        // --keep-every 2 keeps ceil(n/2) frames of each file's n: between half the frames and
        // half plus one per file.
        let thin = try CLI.run([
            "train-ubm", "--corpus", dir.file("background") + ":all", "--corpus", dir.file("corpus") + ":all",
            "--components", "16", "--keep-every", "2", "--out", dir.file("thin.gmm"), "--json",
        ])
        let all = tj?["frames"] as? Int ?? 0
        let kept = (try JSONSerialization.jsonObject(with: Data(thin.stdout.utf8)) as? [String: Any])?["frames"] as? Int ?? -1
        #expect(thin.status == 0 && kept >= all / 2 && kept <= all / 2 + 15, "\(kept) of \(all): \(thin.stderr)")
        #expect(try CLI.run(["train-ubm", "--corpus", dir.file("corpus"), "--keep-every", "0", "--out", dir.file("x.gmm")]).status != 0)
        // Frames on disk: the same UBM, and the frame file is gone afterwards, also when the
        // run fails.
        try FileManager.default.createDirectory(atPath: dir.file("disk"), withIntermediateDirectories: true)
        let disk = try CLI.run([
            "train-ubm", "--corpus", dir.file("background") + ":all", "--corpus", dir.file("corpus") + ":all",
            "--components", "16", "--frames-on-disk", "--out", dir.file("disk/ubm.gmm"), "--json",
        ])
        let dj = try JSONSerialization.jsonObject(with: Data(disk.stdout.utf8)) as? [String: Any]
        #expect(disk.status == 0 && dj?["checksum"] as? String == tj?["checksum"] as? String, "\(disk.stderr)")
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.file("disk"))) == ["ubm.gmm"])
        let failed = try CLI.run([
            "train-ubm", "--corpus", dir.file("background") + ":all", "--components", "100000",
            "--frames-on-disk", "--out", dir.file("disk/big.gmm"),
        ])
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.file("disk"))
        // 100000 components is out of range: a usage error, before any file is made.
        #expect(failed.status == 64 && left == ["ubm.gmm"], "\(failed.stderr) \(left)")
    }

    @Test func enrolWithAUBMThenIdentifyAndVerify() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let e = try CLI.run(["enroll", "--models", models, "--corpus", dir.file("corpus"), "--split", "all", "--ubm", ubm, "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        // Speech seconds per model; a warning names the speakers enrolled on less than 10 s.
        let ej = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        let enrolled = ej["models"] as? [[String: Any]] ?? []
        #expect(enrolled.count == 3)
        for m in enrolled {
            #expect(abs((m["speech_seconds"] as? Double ?? -1) - Double(m["frames"] as? Int ?? 0) / 100) < 1e-9)
        }
        let short = enrolled.filter { ($0["speech_seconds"] as? Double ?? 0) < 10 }.count
        #expect((ej["warnings"] as? [String] ?? []).count == (short > 0 ? 1 : 0), "\(ej)")
        let one = try CLI.run(["enroll", "--models", dir.file("one"), "--speaker", "low", "--ubm", ubm, dir.file("corpus/low/0.wav")])
        #expect(
            one.status == 0 && one.stderr.contains("speaker \"low\" has only ") && one.stderr.contains(" s of speech, less than 10 s"),
            "\(one.stderr)")
        let info = try CLI.run(["info", "--json", dir.file("models/low.gmm")])
        #expect(info.stdout.contains("\"components\":16"))
        // identify with a threshold far above any score answers unknown.
        let i = try CLI.run(["identify", "--models", models, "--ubm", ubm, "--threshold", "1000", "--json", dir.file("corpus/mid/1.wav")])
        #expect(i.status == 0, "\(i.stderr)")
        let rejected = try JSONSerialization.jsonObject(with: Data(i.stdout.utf8)) as? [String: Any]
        #expect(rejected?["decision"] as? String == "rejected" && rejected?["speaker"] is NSNull, "\(i.stdout)")
        let i2 = try CLI.run(["identify", "--models", models, "--ubm", ubm, "--json", dir.file("corpus/mid/1.wav")])
        #expect((try JSONSerialization.jsonObject(with: Data(i2.stdout.utf8)) as? [String: Any])?["speaker"] as? String == "mid")
        // The same clip through standard input.
        let i3 = try CLI.run(["identify", "--models", models, "--ubm", ubm, "--json", "-"], stdin: dir.file("corpus/mid/1.wav"))
        let o3 = try JSONSerialization.jsonObject(with: Data(i3.stdout.utf8)) as? [String: Any]
        #expect(o3?["speaker"] as? String == "mid" && o3?["file"] as? String == "(standard input)", "\(i3.stderr)")
        let v = try CLI.run([
            "verify", "--models", models, "--ubm", ubm, "--speaker", "high", "--json", dir.file("corpus/high/0.wav"), dir.file("corpus/low/0.wav"),
        ])
        #expect(v.status == 0, "\(v.stderr)")
        let lines = v.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        #expect((lines.first?["score"] as? Double ?? -1) > (lines.last?["score"] as? Double ?? 1))
        #expect(lines.first?["accept"] as? Bool == true)
        // Scoring EM-trained models against a UBM is refused.
        let plain = dir.file("plain")
        _ = try CLI.run(["enroll", "--models", plain, "--speaker", "x", "--components", "4", dir.file("corpus/low/0.wav"), "-q"])
        let refused = try CLI.run(["identify", "--models", plain, "--ubm", ubm, dir.file("corpus/low/1.wav")])
        #expect(refused.status == 1 && refused.stderr.contains("not adapted from a UBM"), "\(refused.stderr)")
    }

    /// The T-normed `evaluate --scores` run of the UBM scenario, its score file checked: every
    /// (trial, model) pair with its durations, and the verification and identification figures
    /// recomputed from the file are the report's. Returns the JSON report and the file's rows
    /// (without the header).
    static func tnormScoreFile(_ dir: TempDir, ubm: String, models: String) throws -> (report: [String: Any], rows: [[String]]) {
        let scoreFile = dir.file("scores.tsv")
        let evs = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--segment-seconds", "1", "--score-norm", "tnorm", "--cohort", dir.file("background"),
            "--scores", scoreFile, "--json",
        ])
        #expect(evs.status == 0, "\(evs.stderr)")
        let rs = try #require(try JSONSerialization.jsonObject(with: Data(evs.stdout.utf8)) as? [String: Any])
        let lines = try String(contentsOfFile: scoreFile, encoding: .utf8).split(separator: "\n")
        // The system the scores came from, in "#" lines before the column header.
        let header = lines.prefix { $0.hasPrefix("#") }
        #expect(
            header.first == "# speakerid score file" && header.contains("# score_normalization tnorm")
                && header.contains { $0.hasPrefix("# tnorm_cohort ") } && header.contains { $0.hasPrefix("# ubm ") }, "\(header)")
        let table = lines.dropFirst(header.count).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(table.first == ["file", "seconds", "start", "model", "speaker", "target", "score", "raw_score", "test_seconds", "enrol_seconds"])
        let body = table.dropFirst()
        #expect(body.allSatisfy { $0.count == 10 && ($0[5] == "target") == ($0[3] == $0[4]) })
        // Durations: a 1-s segment holds 1 s of speech; a model's enrolment speech is the same on every row.
        #expect(body.filter { $0[1] == "1.0" }.allSatisfy { Double($0[8]) == 1 })
        #expect(Dictionary(grouping: body, by: { $0[3] }).values.allSatisfy { Set($0.map { $0[9] }).count == 1 })
        for (length, entry) in [("whole", rs), ("1.0", (rs["segments"] as? [[String: Any]])?.first ?? [:])] {
            let rows = body.filter { $0[1] == length }
            let tar = rows.filter { $0[5] == "target" }.compactMap { Double($0[6]) }
            let non = rows.filter { $0[5] == "nontarget" }.compactMap { Double($0[6]) }
            let counts = entry["verification_trials"] as? [String: Int]
            #expect(tar.count == counts?["target"] && non.count == counts?["non_target"] && tar.count * 2 == non.count, "\(length)")
            let eer = try #require(DetectionMetrics(targets: tar, nonTargets: non)?.eer)
            #expect(abs(eer - (entry["eer"] as? Double ?? -1)) < 1e-12, "\(length)")
            // Identification from the raw scores: the best model of each trial.
            let trials = Dictionary(grouping: rows, by: { $0[0] + "@" + $0[2] }).values
            let right = trials.filter { t in t.max(by: { Double($0[7]) ?? 0 < Double($1[7]) ?? 0 })?[5] == "target" }.count
            #expect(right == entry["correct"] as? Int, "\(length)")
        }
        return (rs, Array(body))
    }

    @Test func evaluateVerificationOpenSetAndScoreFile() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        // Evaluate: verification figures at the top level and per segment length; open set.
        let ev = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--segment-seconds", "1", "--impostors", dir.file("impostors"), "--threshold", "0", "--json",
        ])
        #expect(ev.status == 0, "\(ev.stderr)")
        let r = try #require(try JSONSerialization.jsonObject(with: Data(ev.stdout.utf8)) as? [String: Any])
        #expect(r["eer"] is Double && r["min_dcf"] is Double)
        let seg = try #require((r["segments"] as? [[String: Any]])?.first)
        #expect(seg["eer"] is Double && seg["min_dcf"] is Double && seg["segment_seconds"] as? Double == 1)
        let open = try #require(r["open_set"] as? [String: Any])
        #expect(open["impostor_trials"] as? Int == 2)
        #expect(open["genuine_trials"] as? Int == 9)
        #expect((r["narrow_band_files"] as? [String: Int]) == ["test": 0, "impostors": 0])

        // --scores with T-norm: every (trial, model) pair, and the figures recomputed from the
        // file are the report's.
        _ = try Self.tnormScoreFile(dir, ubm: ubm, models: models)
    }

    @Test func tnormAtDecisionTimeGivesEvaluatesScores() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        // evaluate's T-normed scores of every (trial, model) pair, checked against its report.
        let (rs, body) = try Self.tnormScoreFile(dir, ubm: ubm, models: models)
        // identify and verify with --tnorm-models: the cohort enrolled from the background
        // corpus with the same UBM and options gives the scores evaluate's T-norm (cohort
        // adapted from that corpus) wrote for the same whole files.
        let cohortModels = dir.file("cohort")
        #expect(
            try CLI.run(["enroll", "--models", cohortModels, "--corpus", dir.file("background"), "--split", "all", "--ubm", ubm, "-q"]).status == 0)
        let tnormed = Dictionary(
            body.filter { $0[1] == "whole" }.map { ($0[0] + ">" + $0[3], (Double($0[6]) ?? .nan, Double($0[7]) ?? .nan)) },
            uniquingKeysWith: { a, _ in a })
        let clips = [dir.file("corpus/high/0.wav"), dir.file("corpus/low/1.wav")]
        let vt = try CLI.run(
            ["verify", "--models", models, "--ubm", ubm, "--speaker", "high", "--tnorm-models", cohortModels, "--threshold=-100", "--json"] + clips)
        #expect(vt.status == 0, "\(vt.stderr)")
        let vlines = vt.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(vlines.count == 2)
        for (clip, o) in zip(clips, vlines) {
            let want = try #require(tnormed[clip + ">high"])
            #expect(abs((o["score"] as? Double ?? .nan) - want.0) < 1e-9 && abs((o["raw_score"] as? Double ?? .nan) - want.1) < 1e-9, "\(o) \(want)")
            #expect(o["accept"] as? Bool == true && o["score_normalization"] as? String == "tnorm")
        }
        let it = try CLI.run(["identify", "--models", models, "--ubm", ubm, "--tnorm-models", cohortModels, "--json", clips[1]])
        let io = try #require(try JSONSerialization.jsonObject(with: Data(it.stdout.utf8)) as? [String: Any])
        for e in io["ranking"] as? [[String: Any]] ?? [] {
            let want = try #require(tnormed[clips[1] + ">" + (e["speaker"] as? String ?? "")])
            #expect(abs((e["score"] as? Double ?? .nan) - want.0) < 1e-9 && abs((e["raw_score"] as? Double ?? .nan) - want.1) < 1e-9)
        }
        #expect((io["ranking"] as? [[String: Any]])?.count == 3 && io["speaker"] as? String == "low", "\(io)")
        // The threshold applies to the T-normed score: just above the best one answers unknown.
        let bestT = (io["ranking"] as? [[String: Any]])?.first?["score"] as? Double ?? 0
        let above = try CLI.run([
            "identify", "--models", models, "--ubm", ubm, "--tnorm-models", cohortModels, "--threshold=\(bestT + 1e-6)", clips[1],
        ])
        #expect(above.status == 0 && above.stdout.hasPrefix(clips[1] + "\t<unknown>"), "\(above.stdout)")
        // evaluate takes the same folder: the same T-normed figures as adapting from the corpus.
        let evf = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--segment-seconds", "1", "--score-norm", "tnorm", "--tnorm-models", cohortModels, "--json",
        ])
        let rf = try #require(try JSONSerialization.jsonObject(with: Data(evf.stdout.utf8)) as? [String: Any], "\(evf.stderr)")
        #expect(
            abs((rf["eer"] as? Double ?? .nan) - (rs["eer"] as? Double ?? 0)) < 1e-12
                && abs((rf["min_dcf"] as? Double ?? .nan) - (rs["min_dcf"] as? Double ?? 0)) < 1e-12)
        // A cohort too small to normalise by is refused with one line.
        try FileManager.default.removeItem(atPath: dir.file("cohort/bg3.gmm"))
        let small = try CLI.run([
            "verify", "--models", models, "--ubm", ubm, "--speaker", "high", "--tnorm-models", cohortModels, "--threshold", "0", clips[0],
        ])
        #expect(small.status == 1 && small.stderr.contains("T-norm needs at least 3 cohort models"), "\(small.stderr)")

    }

    @Test func evaluateRefusesWhatItCannotDo() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        let scoreFile = dir.file("scores.tsv")
        // evaluate refuses normalisation it cannot do rather than mixing raw and normalised
        // scores: a one-speaker T-norm cohort, Z-norm at a length no cohort file reaches.
        let tiny = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--score-norm", "tnorm", "--cohort", dir.file("impostors"), "--cohort-split", "all",
        ])
        #expect(tiny.status == 1 && tiny.stderr.contains("T-norm needs at least 3 cohort models"), "\(tiny.stderr)")
        let long = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--score-norm", "znorm", "--cohort", dir.file("background"), "--segment-seconds", "30",
        ])
        #expect(long.status == 1 && long.stderr.contains("Z-norm: the cohort gives some model fewer than 2 usable 30.0-s segments"), "\(long.stderr)")

        // A path with a tab stays one field (escaped as \t).
        let odd = dir.file("odd\tcorpus")
        try FileManager.default.copyItem(atPath: dir.file("corpus"), toPath: odd)
        let evo = try CLI.run(["evaluate", "--models", models, "--ubm", ubm, "--corpus", odd, "--split", "all", "--scores", scoreFile, "-q"])
        let oddRows = try String(contentsOfFile: scoreFile, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst()
        #expect(
            evo.status == 0 && oddRows.count == 27
                && oddRows.allSatisfy { $0.split(separator: "\t").count == 10 && $0.hasPrefix(dir.file("odd\\tcorpus")) }, "\(evo.stderr)")
        // Refused before any work: without a UBM, or into a folder that does not exist.
        let noUBM = try CLI.run(["evaluate", "--models", models, "--corpus", dir.file("corpus"), "--split", "all", "--scores", dir.file("s2.tsv")])
        #expect(noUBM.status != 0 && noUBM.stderr.contains("--scores needs --ubm"), "\(noUBM.stderr)")
        let noDir = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--scores", dir.file("missing/s.tsv"),
        ])
        #expect(noDir.status != 0 && noDir.stderr.contains("does not exist") && !FileManager.default.fileExists(atPath: dir.file("missing")))
    }

    @Test func narrowBandImpostorsAndUnusableCohortFiles() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        // 8-kHz impostors: counted, and one warning line for them.
        try AudioWriter.write(
            SyntheticSpeech.generate(seconds: 2, sampleRate: 8000, seed: 9, pitch: 400), sampleRate: 8000,
            to: dir.file("impostors/imp/narrow.wav"))
        let evn = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--impostors", dir.file("impostors"), "--threshold", "0", "--json",
        ])
        let rn = try JSONSerialization.jsonObject(with: Data(evn.stdout.utf8)) as? [String: Any]
        #expect((rn?["narrow_band_files"] as? [String: Int]) == ["test": 0, "impostors": 1], "\(evn.stderr)")
        #expect(evn.stderr.contains("warning: 1 impostor file (8000 Hz)"), "\(evn.stderr)")
        try FileManager.default.removeItem(atPath: dir.file("impostors/imp/narrow.wav"))

        // An unusable cohort file fails the evaluation, naming it, unless --skip-bad; then it is
        // reported (T-norm: on standard error; Z-norm: also in the JSON's "skipped").
        try Data("not audio".utf8).write(to: URL(fileURLWithPath: dir.file("background/bg1/broken.wav")))
        for mode in ["tnorm", "znorm"] {
            let strict = try CLI.run([
                "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
                "--score-norm", mode, "--cohort", dir.file("background"), "--json",
            ])
            #expect(strict.status == 1 && strict.stderr.contains("broken.wav"), "\(mode): \(strict.stderr)")
            #expect(strict.stderr.split(separator: "\n").count == 1, "\(mode): \(strict.stderr)")
            let lenient = try CLI.run([
                "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
                "--score-norm", mode, "--cohort", dir.file("background"), "--json", "--skip-bad",
            ])
            #expect(lenient.status == 0, "\(mode): \(lenient.stderr)")
            #expect(lenient.stderr.contains("broken.wav") && lenient.stderr.contains("cohort"), "\(mode): \(lenient.stderr)")
            let lj = try #require(try JSONSerialization.jsonObject(with: Data(lenient.stdout.utf8)) as? [String: Any])
            #expect(lj["eer"] is Double)
            if mode == "znorm" {
                let skipped = lj["skipped_files"] as? [[String: Any]] ?? []
                #expect(skipped.count == 1 && (skipped.first?["error"] as? String ?? "").contains("Z-norm cohort"), "\(skipped)")
            }
        }
        try FileManager.default.removeItem(atPath: dir.file("background/bg1/broken.wav"))

    }

    @Test func reportHoldsEveryChart() throws {
        let (dir, ubm, models) = try Fixtures.ubmScenario()
        defer { dir.cleanup() }
        // The HTML report: every chart present, and a real browser renders it.
        let rep = try CLI.run([
            "evaluate", "--models", models, "--ubm", ubm, "--corpus", dir.file("corpus"), "--split", "all",
            "--segment-seconds", "0.5,1", "--report", dir.file("report"), "-q",
        ])
        #expect(rep.status == 0, "\(rep.stderr)")
        let html = try String(contentsOfFile: dir.file("report/report.html"), encoding: .utf8)
        for section in ["Accuracy versus test length", "DET curves", "Score distributions", "Per-speaker accuracy", "Confusion matrix"] {
            #expect(html.contains(section), "report lacks \(section)")
        }
        #expect(html.components(separatedBy: "<svg").count - 1 == 8)  // accuracy, DET, Bayes error, 3 histograms, speakers, confusion
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
    }

    static var chromium: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
    }

    /// The HTML report rendered by a real browser (CI installs Chromium; elsewhere a visible skip).
    @Test(.enabled(if: chromium != nil, "chromium is not installed (apt-get install chromium)"))
    func reportRendersInABrowser() throws {
        let f = try UBMFixture()
        defer { f.dir.cleanup() }
        let rep = try CLI.run([
            "evaluate", "--models", f.adapted, "--ubm", f.ubm, "--corpus", f.dir.file("corpus"), "--split", "all",
            "--segment-seconds", "0.5,1", "--report", f.dir.file("report"), "-q",
        ])
        #expect(rep.status == 0, "\(rep.stderr)")
        try Self.renderInBrowser(f.dir.file("report/report.html"), screenshot: f.dir.file("report/shot.png"))
    }

    /// Renders a page in headless Chromium and checks the browser parsed its SVG charts and drew
    /// a picture.
    static func renderInBrowser(_ page: String, screenshot: String) throws {
        let chromium = try #require(Self.chromium)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        let dom = try CLI.runTool(chromium, common + ["--dump-dom", "file://" + page])
        #expect(dom.status == 0, "chromium: \(dom.stderr.suffix(300))")
        #expect(dom.stdout.components(separatedBy: "<svg").count - 1 == 8, "the browser's DOM lacks the charts")
        let shot = try CLI.runTool(chromium, common + ["--window-size=1200,1600", "--screenshot=" + screenshot, "file://" + page])
        #expect(shot.status == 0)
        let size = ((try? FileManager.default.attributesOfItem(atPath: screenshot))?[.size] as? NSNumber)?.intValue ?? 0
        #expect(size > 20_000, "screenshot of \(size) bytes")
    }

    @Test func badInputFailsWithOneLineAndLeavesNothing() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let models = dir.file("models")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 2, sampleRate: 16000, seed: 1), sampleRate: 16000, to: dir.file("ok.wav"))
        for (args, needle) in [
            (["enroll", "--models", models, "--speaker", "x", dir.file("missing.wav")], "no such file"),
            (["enroll", "--models", models, "--speaker", "../x", dir.file("ok.wav")], nil),
            (["enroll", "--models", models, "--speaker", "", dir.file("ok.wav")], "empty"),
            // The failed enrolments above made no models folder.
            (["identify", "--models", models, dir.file("ok.wav")], "no such models folder"),
            (["features", dir.file("models")], nil),
        ] as [([String], String?)] {
            let r = try CLI.run(args)
            if args.contains("../x") {
                // A hostile name is stored safely inside the folder, not refused.
                #expect(r.status == 0, "\(r.stderr)")
                #expect((try? FileManager.default.contentsOfDirectory(atPath: models)) == ["%2E%2E%2Fx.gmm"])
                try FileManager.default.removeItem(atPath: models)
                continue
            }
            #expect(r.status != 0, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(args): \(r.stderr)")
            if let needle { #expect(r.stderr.contains(needle), "\(args): \(r.stderr)") }
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
            let left = (try? FileManager.default.contentsOfDirectory(atPath: models)) ?? []
            #expect(left.isEmpty, "\(args): left \(left)")
        }
    }

    @Test func batchCommandsFailOnABadFileUnlessAskedToSkipIt() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Fixtures.syntheticCorpus(dir)
        // One broken file in a speaker's folder, and a speaker with nothing usable.
        try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: dir.file("corpus/mid/broken.wav")))
        try FileManager.default.createDirectory(atPath: dir.file("corpus/silent"), withIntermediateDirectories: true)
        try AudioWriter.write([Float](repeating: 0, count: 16000), sampleRate: 16000, to: dir.file("corpus/silent/0.wav"))
        let models = dir.file("models")
        let strict = try CLI.run(["enroll", "--models", models, "--corpus", dir.file("corpus"), "--components", "8", "-q"])
        #expect(strict.status == 1)
        #expect(strict.stderr.split(separator: "\n").count == 1, "\(strict.stderr)")
        #expect(strict.stderr.contains("broken.wav") || strict.stderr.contains("silent/0.wav"), "\(strict.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: models)) ?? []).isEmpty, "a failed batch wrote models")
        // A speaker with no usable audio is skipped and reported like a bad file (exit 0 while
        // at least one speaker is enrolled, as identify does with clips).
        let lenient = try CLI.run(["enroll", "--models", models, "--corpus", dir.file("corpus"), "--components", "8", "--skip-bad", "-q"])
        #expect(lenient.status == 0, "\(lenient.stderr)")
        #expect(lenient.stderr.contains("skipped:") && lenient.stderr.contains("\"silent\": no usable audio"), "\(lenient.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: models).sorted() == ["high.gmm", "low.gmm", "mid.gmm"])
        try FileManager.default.removeItem(atPath: models)
        try FileManager.default.removeItem(atPath: dir.file("corpus/silent"))
        let ok = try CLI.run(["enroll", "--models", models, "--corpus", dir.file("corpus"), "--components", "8", "--skip-bad", "-q"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("skipped:") && ok.stderr.contains("broken.wav"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: models).sorted() == ["high.gmm", "low.gmm", "mid.gmm"])
        let ev = try CLI.run(["evaluate", "--models", models, "--corpus", dir.file("corpus"), "--split", "all", "--json", "-q"])
        #expect(ev.status == 1 && ev.stderr.contains("broken.wav"))
        let ev2 = try CLI.run(["evaluate", "--models", models, "--corpus", dir.file("corpus"), "--split", "all", "--json", "--skip-bad"])
        #expect(ev2.status == 0, "\(ev2.stderr)")
        let r = try JSONSerialization.jsonObject(with: Data(ev2.stdout.utf8)) as? [String: Any]
        #expect(r?["trials"] as? Int == 9 && (r?["skipped_files"] as? [Any])?.count == 1)
    }

    /// corpora/dev-split.sh: enrolment files alternate between dev enroll and dev test, the
    /// test split never appears, and the result reads as a corpus whose files resolve.
    @Test func developmentSplitUsesOnlyTheEnrolmentFiles() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var rows = "speaker\tpath\tsplit\n"
        for (speaker, enrol, test) in [("a", 3, 2), ("b", 1, 1), ("c", 4, 0)] {
            try FileManager.default.createDirectory(atPath: dir.file("src/\(speaker)"), withIntermediateDirectories: true)
            for i in 0..<(enrol + test) {
                let path = "\(speaker)/\(i).wav"
                try AudioWriter.write(sine(200, seconds: 0.2, rate: 16000), sampleRate: 16000, to: dir.file("src/" + path))
                rows += "\(speaker)\t\(path)\t\(i < enrol ? "enroll" : "test")\n"
            }
        }
        try rows.write(toFile: dir.file("src/protocol.tsv"), atomically: true, encoding: .utf8)
        let script = Repository.root.appendingPathComponent("corpora/dev-split.sh").path
        let r = try CLI.runTool("/bin/bash", [script, dir.file("src"), dir.file("dev")])
        #expect(r.status == 0, "\(r.stderr)")
        let dev = try Corpus(root: dir.file("dev"))
        let got = dev.entries.map { "\($0.speaker) \(($0.path as NSString).lastPathComponent) \($0.split)" }
        #expect(
            got == [
                "a 0.wav enroll", "a 1.wav test", "a 2.wav enroll", "b 0.wav enroll",
                "c 0.wav enroll", "c 1.wav test", "c 2.wav enroll", "c 3.wav test",
            ])
        #expect(dev.entries.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
        // Bad arguments: a usage line and status 2; a folder without a protocol: status 1.
        #expect(try CLI.runTool("/bin/bash", [script]).status == 2)
        #expect(try CLI.runTool("/bin/bash", [script, dir.file("dev/a"), dir.file("x")]).status == 1)
    }

    @Test(.enabled(if: SharedCorpora.root != nil, SharedCorpora.absent))
    func realSpeechFSDDSubset() throws {
        let root = try #require(SharedCorpora.root)
        // Digits 0-2 of every FSDD speaker: enrol on takes 0-24, test on 25-49.
        let dir = TempDir()
        defer { dir.cleanup() }
        let fsdd = (root as NSString).appendingPathComponent("fsdd")
        var rows = "speaker\tpath\tsplit\n"
        for line in try String(contentsOfFile: fsdd + "/protocol.tsv", encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t")
            guard f.count == 3, let digit = f[1].split(separator: "/").last?.first, "012".contains(digit) else { continue }
            rows += "\(f[0])\t\(fsdd)/\(f[1])\t\(f[2])\n".replacingOccurrences(of: "\t\(fsdd)/", with: "\t../fsdd-link/")
        }
        try FileManager.default.createSymbolicLink(atPath: dir.file("fsdd-link"), withDestinationPath: fsdd)
        try FileManager.default.createDirectory(atPath: dir.file("c"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("c/fsdd-link"), withDestinationPath: fsdd)
        try Data(rows.replacingOccurrences(of: "../fsdd-link/", with: "fsdd-link/").utf8).write(to: URL(fileURLWithPath: dir.file("c/protocol.tsv")))
        let e = try CLI.run(["enroll", "--models", dir.file("m"), "--corpus", dir.file("c"), "--sample-rate", "8000", "-q"])
        #expect(e.status == 0, "\(e.stderr)")
        let v = try CLI.run(["evaluate", "--models", dir.file("m"), "--corpus", dir.file("c"), "--json"])
        #expect(v.status == 0, "\(v.stderr)")
        let r = try #require(try JSONSerialization.jsonObject(with: Data(v.stdout.utf8)) as? [String: Any])
        #expect(r["trials"] as? Int == 450)
        #expect((r["accuracy"] as? Double ?? 0) >= 0.9, "accuracy \(r["accuracy"] ?? "-")")
    }
}
