import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// Issue 23, items 2, 3, 7 and 9 (calibration): a duration calibration never runs backwards,
/// score files with bad rows are refused naming the line, priors and costs are range-checked,
/// CRLF score files are read, and calibration files of an unknown version or a prior that is
/// not a probability are refused for that reason.
struct CalibrationReliabilityTests {

    /// Development trials at 0.3, 1, 3 and 10 s whose separation grows steeply with the
    /// duration (LLR slopes 0.02, 0.1, 1, 4, sd 1): a slope linear in the log duration fits the
    /// long trials by turning negative below about 1 s.
    static func backwardTrials() -> [CalibrationTrial] {
        var rng = SeededRandom(seed: 11)
        var out: [CalibrationTrial] = []
        for (seconds, mean, n) in [(0.3, 0.01, 6000), (1.0, 0.05, 6000), (3.0, 0.5, 3000), (10.0, 2.0, 3000)] {
            for _ in 0..<n {
                let target = rng.nextUnit() < 0.5
                out.append(
                    CalibrationTrial(
                        score: (target ? mean : -mean) + rng.nextGaussian(), testSeconds: seconds,
                        enrolSeconds: 20 + 10 * rng.nextUnit(), isTarget: target))
            }
        }
        return out
    }

    @Test func durationCalibrationNeverRunsBackwards() throws {
        let trials = Self.backwardTrials()
        let p = CalibrationTests.provenance()
        // The unconstrained fit (what calibrate wrote before) has a negative slope at 0.3 s.
        let x = trials.map { Calibration.features(score: $0.score, testSeconds: $0.testSeconds, enrolSeconds: $0.enrolSeconds, quality: .duration) }
        let free = Calibration.newton(x: x, y: trials.map(\.isTarget), wt: 0.5 / 9000, wn: 0.5 / 9000, offset: 0, start: [1, 0, 0, 0, 0, 0])
        #expect(Calibration.dot(free.w, Calibration.slopeRow(testSeconds: 0.3, enrolSeconds: 25)) < 0, "the case no longer runs backwards: \(free.w)")
        let c = try Calibration.fit(trials, prior: 0.5, quality: .duration, provenance: p)
        #expect(c.testSecondsRange == 0.3...10, "\(String(describing: c.testSecondsRange))")
        #expect(c.enrolSecondsRange.map { $0.lowerBound >= 20 && $0.upperBound <= 30 } == true)
        // Every duration a decision can meet, inside the trials' range and out of it.
        for t in [0.01, 0.1, 0.3, 0.5, 0.6, 1, 2, 3, 10, 30, 1000] {
            for e in [1.0, 20, 25, 30, 300] {
                #expect(c.slope(testSeconds: t, enrolSeconds: e) > 0, "slope at \(t) s test, \(e) s enrolment: \(c.weights)")
                #expect(c.llr(score: 2, testSeconds: t, enrolSeconds: e) > c.llr(score: 1, testSeconds: t, enrolSeconds: e))
            }
        }
        // Outside the range: 100 s is scored as 10 s; 0.1 s gets a third of the LLR of 0.3 s, and
        // no speech no evidence.
        #expect(c.llr(score: 1.5, testSeconds: 100, enrolSeconds: 25) == c.llr(score: 1.5, testSeconds: 10, enrolSeconds: 25))
        #expect(c.llr(score: 1.5, testSeconds: 40, enrolSeconds: 300) == c.llr(score: 1.5, testSeconds: 10, enrolSeconds: 30))
        #expect(abs(c.llr(score: 1.5, testSeconds: 0.1, enrolSeconds: 25) - c.llr(score: 1.5, testSeconds: 0.3, enrolSeconds: 25) / 3) < 1e-12)
        #expect(c.llr(score: 1.5, testSeconds: 0, enrolSeconds: 25) == 0)
        // Longer trials still get steeper slopes, as in the data.
        #expect(
            c.slope(testSeconds: 10, enrolSeconds: 25) > 1 && c.slope(testSeconds: 10, enrolSeconds: 25) > c.slope(testSeconds: 1, enrolSeconds: 25),
            "\(c.weights)")
        // The ranges survive the file, and a file whose slope falls inside them is refused.
        let back = try Calibration.decode(try c.encoded(), name: "c")
        #expect(back == c && back.testSecondsRange == c.testSecondsRange)
        var bad = c
        bad.weights = free.w
        #expect(throws: CalibrationError.self) { try Calibration.decode(try bad.encoded(), name: "bad.cal") }
    }

    @Test func fitRefusesWhatCannotBeCalibrated() throws {
        let p = CalibrationTests.provenance()
        // Targets scoring below non-targets: no LLR rising with the score fits them.
        let reversed =
            (0..<50).map { CalibrationTrial(score: -Double($0 % 7), testSeconds: 1, enrolSeconds: 1, isTarget: true) }
            + (0..<50).map { CalibrationTrial(score: Double($0 % 5), testSeconds: 1, enrolSeconds: 1, isTarget: false) }
        #expect(throws: CalibrationError.self) { try Calibration.fit(reversed, prior: 0.5, provenance: p) }
        // A prior whose weights underflow, a duration of 0.
        let ok =
            (0..<50).map { CalibrationTrial(score: Double($0 % 7), testSeconds: 1, enrolSeconds: 1, isTarget: true) }
            + (0..<50).map { CalibrationTrial(score: -Double($0 % 5), testSeconds: 1, enrolSeconds: 1, isTarget: false) }
        do {
            _ = try Calibration.fit(ok, prior: 1e-300, provenance: p)
            Issue.record("prior 1e-300 accepted")
        } catch { #expect(error.description.contains("1e-06"), "\(error)") }
        var zero = ok
        zero[3].testSeconds = 0
        do {
            _ = try Calibration.fit(zero, prior: 0.5, quality: .duration, provenance: p)
            Issue.record("a test duration of 0 accepted")
        } catch { #expect(error.description.contains("test duration 0"), "\(error)") }
    }

    /// Format version 0 was never written; a training prior of 0 or 2 is not a probability
    /// (it was refused as "weights do not fit its quality measure").
    @Test func calibrationFilesOfAnUnknownVersionOrPriorAreRefusedForThatReason() throws {
        let c = Calibration(quality: .none, weights: [1, 0], trainingPrior: 0.01, provenance: CalibrationTests.provenance(10, 10), toolVersion: "x")
        func rewritten(_ edit: (String) -> String) throws -> [UInt8] {
            var text = String(decoding: try c.encoded(), as: UTF8.self)
            text = edit(String(text[..<text.range(of: "crc64 ")!.lowerBound]))
            return Array(text.utf8) + Array(String(format: "crc64 %016llx\n", CRC64.checksum(Array(text.utf8))).utf8)
        }
        for v in ["0", "-1"] {
            do {
                _ = try Calibration.decode(
                    try rewritten {
                        $0.replacingOccurrences(of: "speakerid-calibration \(Calibration.gmmFormatVersion)\n", with: "speakerid-calibration \(v)\n")
                    }, name: "v.cal")
                Issue.record("format version \(v) loaded")
            } catch { #expect("\(error)".contains("format version \(v)"), "\(error)") }
        }
        for prior in ["0", "2", "-0.5"] {
            do {
                _ = try Calibration.decode(
                    try rewritten { $0.replacingOccurrences(of: "\"training_prior\" : 0.01", with: "\"training_prior\" : \(prior)") }, name: "p.cal")
                Issue.record("training_prior \(prior) loaded")
            } catch {
                #expect("\(error)".contains("training_prior") && !"\(error)".contains("weights"), "\(error)")
            }
        }
        // A plain calibration whose LLR falls as the score rises is refused too.
        let falling = Calibration(
            quality: .none, weights: [-1, 0], trainingPrior: 0.01, provenance: CalibrationTests.provenance(10, 10), toolVersion: "x")
        #expect(throws: CalibrationError.self) { try Calibration.decode(try falling.encoded(), name: "f.cal") }
    }

    /// Two enrolled speakers (EM models) and a score file of trials against them, as evaluate
    /// --scores writes one without its system header.
    struct ScoreFixture {
        let dir = TempDir()
        var models: String { dir.file("m") }

        init() throws {
            for (i, name) in ["a", "b"].enumerated() {
                let clip = dir.file("\(name).wav")
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: UInt64(i + 1), pitch: 100 + 80 * Double(i)),
                    sampleRate: 16000, to: clip)
                let e = try CLI.run(["enroll", "--models", models, "--speaker", name, "--components", "4", clip, "-q"])
                guard e.status == 0 else { throw CLIFailure(e.stderr) }
            }
        }

        static let header = "file\tseconds\tstart\tmodel\tspeaker\ttarget\tscore\traw_score\ttest_seconds\tenrol_seconds"

        /// Rows: 30 test clips per speaker, each scored against both models; clip k lasts
        /// 0.5-8 s and separates more the longer it is.
        static func rows() -> [String] {
            var rng = SeededRandom(seed: 5)
            var out: [String] = []
            for speaker in ["a", "b"] {
                for k in 0..<30 {
                    let seconds = [0.5, 1, 2, 4, 8][k % 5]
                    for model in ["a", "b"] {
                        let target = model == speaker
                        let s = (target ? 0.3 : -0.3) * seconds.squareRoot() + 0.5 * rng.nextGaussian()
                        out.append(
                            "\(speaker)/\(k).wav\twhole\t0\t\(model)\t\(speaker)\t\(target ? "target" : "nontarget")\t\(s)\t\(s)\t\(seconds)\t3")
                    }
                }
            }
            return out
        }

        func write(_ name: String, _ rows: [String], lineEnd: String = "\n") throws -> String {
            let path = dir.file(name)
            try Data(([Self.header] + rows).map { $0 + lineEnd }.joined().utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        func calibrate(_ scores: String, _ extra: [String] = []) throws -> CLI.Run {
            try CLI.run(["calibrate", "--models", models, "--scores", scores, "--out", dir.file("out.cal"), "-q"] + extra)
        }
    }

    static func oneLine(_ r: CLI.Run, _ status: Int32, _ mentions: [String], _ what: String) {
        #expect(
            r.status == status && r.stderr.split(separator: "\n").count == 1 && mentions.allSatisfy(r.stderr.contains),
            "\(what): \(r.status) \(r.stderr)")
    }

    @Test func scoreFilesWithBadRowsAreRefusedNamingTheLine() throws {
        let f = try ScoreFixture()
        defer { f.dir.cleanup() }
        let rows = ScoreFixture.rows()
        let out = f.dir.file("out.cal")
        // A good file: calibrated with durations by default; the durations are said and stored.
        let good = try f.write("good.tsv", rows)
        let ok = try CLI.run(["calibrate", "--models", f.models, "--scores", good, "--out", out, "-q", "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let j = try #require(CLI.jsonLines(ok.stdout).first)
        #expect(j["quality"] as? String == "duration" && j["min_test_seconds"] as? Double == 0.5 && j["max_test_seconds"] as? Double == 8, "\(j)")
        let text = try CLI.run(["calibrate", "--models", f.models, "--scores", good, "--out", out, "-q"])
        #expect(text.stdout.contains("0.50-8.00 s of test speech"), "\(text.stdout)")
        let cal = try Calibration.load(path: out)
        #expect(cal.testSecondsRange == 0.5...8 && cal.enrolSecondsRange == 3...3)
        try FileManager.default.removeItem(atPath: out)

        var zero = rows
        zero[6] = rows[6].split(separator: "\t").dropLast(2).joined(separator: "\t") + "\t0\t3"
        Self.oneLine(try f.calibrate(try f.write("zero.tsv", zero)), 1, ["zero.tsv:8:", "test_seconds is 0"], "test_seconds 0")
        var negative = rows
        negative[9] = rows[9].split(separator: "\t").dropLast(2).joined(separator: "\t") + "\t-2\t3"
        Self.oneLine(try f.calibrate(try f.write("negative.tsv", negative)), 1, ["negative.tsv:11:", "test_seconds is -2"], "test_seconds -2")
        Self.oneLine(
            try f.calibrate(try f.write("twice.tsv", rows + [rows[4]])), 1, ["twice.tsv:\(rows.count + 2):", "same trial as line 6"], "a row twice")
        var stranger = rows
        stranger[2] = rows[2].replacingOccurrences(of: "\ta\ta\ttarget", with: "\tc\ta\tnontarget")
        Self.oneLine(
            try f.calibrate(try f.write("stranger.tsv", stranger)), 1, ["stranger.tsv:4:", "model \"c\" is not in --models"], "a model not enrolled")
        #expect(!FileManager.default.fileExists(atPath: out))

        // Priors and costs whose weights underflow or whose effective prior is extreme.
        for (args, mention) in [
            (["--prior", "1e-300"], "--prior must be between"), (["--prior", "0.5", "--cost-fa", "1e9"], "--cost-fa must be"),
            (["--prior", "1e-5", "--cost-fa", "1000"], "effective prior"), (["--cost-miss", "0"], "--cost-miss must be"),
        ] {
            let r = try f.calibrate(good, args)
            #expect(r.status == 64 && r.stderr.contains(mention), "\(args): \(r.status) \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        // verify and identify take the same ranges (no `{}` from an underflowing threshold).
        let v = try CLI.run(["verify", "--models", f.models, "--speaker", "a", "--calibration", out, "--prior", "5e-324", f.dir.file("a.wav")])
        #expect(v.status == 64 && v.stderr.contains("--prior must be between"), "\(v.stderr)")
    }

    @Test func crlfScoreFilesAreRead() throws {
        let f = try ScoreFixture()
        defer { f.dir.cleanup() }
        let rows = ScoreFixture.rows()
        let lf = try f.write("lf.tsv", rows), crlf = try f.write("crlf.tsv", rows, lineEnd: "\r\n"), cr = try f.write("cr.tsv", rows, lineEnd: "\r")
        #expect(try CLI.run(["score-report", cr]).status == 0)
        #expect(try CLI.run(["calibrate", "--models", f.models, "--scores", cr, "--out", f.dir.file("cr.cal"), "-q"]).status == 0)
        let a = try CLI.run(["calibrate", "--models", f.models, "--scores", lf, "--out", f.dir.file("lf.cal"), "-q", "--json"])
        let b = try CLI.run(["calibrate", "--models", f.models, "--scores", crlf, "--out", f.dir.file("crlf.cal"), "-q", "--json"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(try Calibration.load(path: f.dir.file("lf.cal")).weights == Calibration.load(path: f.dir.file("crlf.cal")).weights)
        let ra = try CLI.run(["score-report", lf]), rb = try CLI.run(["score-report", crlf])
        #expect(ra.status == 0 && rb.status == 0 && ra.stdout == rb.stdout, "\(rb.stderr)")
        // With the system header that evaluate writes, too.
        let headed = f.dir.file("headed.tsv")
        let text =
            "# speakerid score file\r\n# ubm none\r\n# models 0000000000000000\r\n# score_normalization none\r\n"
            + (try String(contentsOfFile: crlf, encoding: .utf8))
        try Data(text.utf8).write(to: URL(fileURLWithPath: headed))
        #expect(try CLI.run(["score-report", headed]).status == 0)
    }

    /// calibrate --corpus whose speakers are not enrolled said "no held-out files" with a Swift
    /// dump of the corpus entries.
    @Test func noHeldOutFilesIsOnePlainLine() throws {
        let f = try ScoreFixture()
        defer { f.dir.cleanup() }
        for name in ["x", "y"] {
            try FileManager.default.createDirectory(atPath: f.dir.file("corpus/\(name)"), withIntermediateDirectories: true)
            for k in 0..<2 {
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 2, sampleRate: 16000, seed: UInt64(k + 7)), sampleRate: 16000,
                    to: f.dir.file("corpus/\(name)/\(k).wav"))
            }
        }
        let r = try CLI.run(["calibrate", "--models", f.models, "--corpus", f.dir.file("corpus") + ":all", "--out", f.dir.file("x.cal")])
        Self.oneLine(r, 1, ["none of the 2 speakers", "is enrolled"], "no enrolled speaker")
        #expect(!r.stderr.contains("CorpusEntry") && !FileManager.default.fileExists(atPath: f.dir.file("x.cal")))
        // Enrolled speakers with one file each: none can be held out.
        try FileManager.default.createDirectory(atPath: f.dir.file("one/a"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: f.dir.file("a.wav"), toPath: f.dir.file("one/a/0.wav"))
        let one = try CLI.run(["calibrate", "--models", f.models, "--corpus", f.dir.file("one") + ":all", "--out", f.dir.file("x.cal")])
        Self.oneLine(one, 1, ["two or more files"], "one file per speaker")
        #expect(!one.stderr.contains("CorpusEntry"))
    }
}
