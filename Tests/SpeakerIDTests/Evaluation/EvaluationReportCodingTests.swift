import Foundation
import Testing
@testable import SpeakerID

/// An evaluation report as `speakerid evaluate --json` prints it: its own coding keys, every
/// one snake_case and in the README's table, the values those keys stand for, and
/// `score-report`'s part of it.
struct EvaluationReportCodingTests {
    /// A report with every part the JSON holds: verification, calibration figures and open-set
    /// results for whole files, a segment length without trials, an unusable file, narrow-band
    /// files and a threshold source.
    static func fullReport() throws -> EvaluationReport {
        let targets = [2.5, 1.0, 3.0, 0.2, 4.0], nonTargets = [-1.0, 0.5, -2.0, -0.3, 1.5, -4.0]
        let verification = try #require(DetectionMetrics(targets: targets, nonTargets: nonTargets))
        let calibration = try #require(CalibrationFigures(targets: targets, nonTargets: nonTargets, cost: DetectionMetrics.CostModel()))
        var whole = LengthResult(
            seconds: nil, identification: AccuracyResult(correct: 4, trials: 5),
            verification: verification, histogram: ScoreHistogram(targets: targets, nonTargets: nonTargets),
            calibration: calibration)
        whole.openSet = OpenSetResult(
            threshold: 0.7, genuineCorrect: 3, genuineRejected: 1, genuineTrials: 5,
            impostorAccepted: 1, impostorTrials: 4)
        let segment = LengthResult(seconds: 2.5, identification: AccuracyResult(correct: 0, trials: 0))
        var r = EvaluationReport(
            speakers: ["ann", "bo"], whole: whole, segments: [segment],
            perSpeaker: ["ann": AccuracyResult(correct: 2, trials: 2), "bo": AccuracyResult(correct: 2, trials: 3)],
            confusion: [[2, 0], [1, 2]], skipped: [SkippedFile(path: "bo/3.wav", reason: "bo/3.wav: not a recognised audio file")],
            segmentNormalization: .segment, scoreNormalization: .tnorm, thresholdSource: "given", seconds: 1.25)
        r.narrowBand.test = [8000: 2, 11025: 1]
        r.narrowBand.impostors = [8000: 1]
        return r
    }

    static func encoded(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    static func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: encoded(value)) as? [String: Any])
    }

    /// Every key at every depth.
    static func keys(_ v: Any) -> Set<String> {
        if let o = v as? [String: Any] { return o.reduce(into: Set(o.keys)) { $0.formUnion(keys($1.value)) } }
        if let a = v as? [Any] { return a.reduce(into: Set<String>()) { $0.formUnion(keys($1)) } }
        return []
    }

    static let lengthKeys: Set<String> = [
        "accuracy", "trials", "correct", "eer", "min_dcf", "eer_threshold", "verification_trials", "det",
        "cllr", "min_cllr", "act_dcf", "bayes_threshold", "act_p_miss", "act_p_fa", "bayes_error", "open_set",
    ]

    @Test func theReportsKeysAreEvaluatesDocumentedOnes() throws {
        let o = try Self.object(try Self.fullReport())
        #expect(
            Set(o.keys)
                == Self.lengthKeys.union([
                    "segments", "per_speaker", "confusion", "skipped_files", "segment_normalization",
                    "narrow_band_files", "score_normalization", "threshold_source", "run_seconds", "system",
                ]))
        let all = Self.keys(o)
        #expect(
            all.isSuperset(of: [
                "segment_seconds", "target", "non_target", "p_fa", "p_miss", "threshold", "log_odds", "genuine_accuracy",
                "genuine_trials", "genuine_rejected", "impostor_acceptance", "impostor_trials", "speaker", "speakers",
                "matrix", "file", "error", "test", "impostors",
            ]))
        let notSnake = all.filter { $0.range(of: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$", options: .regularExpression) == nil }
        #expect(notSnake.isEmpty, "not snake_case: \(notSnake.sorted())")
        let undocumented = all.subtracting(try Readme.jsonKeys())
        #expect(undocumented.isEmpty, "keys missing from the README's JSON table: \(undocumented.sorted())")
        // Neither the histograms nor the kept scores, nor the counts behind the rates.
        #expect(all.isDisjoint(with: ["histogram", "scores", "lower", "bin_width", "genuine_correct", "impostor_accepted", "min_dcf_threshold"]))
    }

    /// The report's JSON, read back by keys of its own: the figures are the report's.
    struct ReportJSON: Decodable {
        struct Trials: Decodable {
            var target: Int
            var nonTarget: Int
        }
        struct Point: Decodable {
            var pFa: Double
            var pMiss: Double
            var threshold: Double
        }
        struct BayesPoint: Decodable {
            var logOdds: Double
            var actDcf: Double
            var minDcf: Double
        }
        struct OpenSet: Decodable {
            var threshold: Double
            var genuineAccuracy: Double, genuineTrials: Int, genuineRejected: Int
            var impostorAcceptance: Double, impostorTrials: Int
        }
        struct Length: Decodable {
            var accuracy: Double?
            var trials: Int, correct: Int
            var segmentSeconds: Double?
            var eer: Double?, minDcf: Double?, eerThreshold: Double?
            var verificationTrials: Trials?
            var det: [Point]?
            var cllr: Double?, minCllr: Double?, actDcf: Double?, bayesThreshold: Double?, actPMiss: Double?, actPFa: Double?
            var bayesError: [BayesPoint]?
            var openSet: OpenSet?
        }
        struct Speaker: Decodable {
            var speaker: String
            var accuracy: Double
            var trials: Int
            var correct: Int
        }
        struct Confusion: Decodable {
            var speakers: [String]
            var matrix: [[Int]]
        }
        struct NarrowBand: Decodable {
            var test: Int
            var impostors: Int
        }

        var whole: Length
        var segments: [Length]
        var perSpeaker: [Speaker]
        var confusion: Confusion
        var skippedFiles: [SkippedFile]
        var segmentNormalization: String
        var narrowBandFiles: NarrowBand
        var scoreNormalization: String
        var thresholdSource: String?
        var runSeconds: Double

        enum CodingKeys: String, CodingKey {
            case segments, perSpeaker, confusion, skippedFiles, segmentNormalization, narrowBandFiles, scoreNormalization
            case thresholdSource, runSeconds
        }

        init(from decoder: any Decoder) throws {
            // The whole-file figures stand at the top, beside the rest.
            whole = try Length(from: decoder)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            segments = try c.decode([Length].self, forKey: .segments)
            perSpeaker = try c.decode([Speaker].self, forKey: .perSpeaker)
            confusion = try c.decode(Confusion.self, forKey: .confusion)
            skippedFiles = try c.decode([SkippedFile].self, forKey: .skippedFiles)
            segmentNormalization = try c.decode(String.self, forKey: .segmentNormalization)
            narrowBandFiles = try c.decode(NarrowBand.self, forKey: .narrowBandFiles)
            scoreNormalization = try c.decode(String.self, forKey: .scoreNormalization)
            thresholdSource = try c.decodeIfPresent(String.self, forKey: .thresholdSource)
            runSeconds = try c.decode(Double.self, forKey: .runSeconds)
        }
    }

    @Test func theReportRoundTripsThroughItsJSON() throws {
        let r = try Self.fullReport()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let j = try decoder.decode(ReportJSON.self, from: try Self.encoded(r))
        let v = try #require(r.whole.verification), c = try #require(r.whole.calibration), o = try #require(r.whole.openSet)
        #expect(j.whole.accuracy == 0.8 && j.whole.trials == 5 && j.whole.correct == 4 && j.whole.segmentSeconds == nil)
        #expect(j.whole.eer == v.eer && j.whole.minDcf == v.minDCF && j.whole.eerThreshold == v.eerThreshold)
        #expect(j.whole.verificationTrials?.target == 5 && j.whole.verificationTrials?.nonTarget == 6)
        #expect(
            j.whole.det?.map(\.pFa) == v.det.map(\.falseAlarm) && j.whole.det?.map(\.pMiss) == v.det.map(\.miss)
                && j.whole.det?.map(\.threshold) == v.det.map(\.threshold))
        #expect(j.whole.cllr == c.cllr && j.whole.minCllr == c.minCllr && j.whole.actDcf == c.actualDCF)
        #expect(j.whole.bayesThreshold == c.threshold && j.whole.actPMiss == c.missRate && j.whole.actPFa == c.falseAlarmRate)
        #expect(
            j.whole.bayesError?.map(\.logOdds) == c.bayesError.map(\.logOdds) && j.whole.bayesError?.map(\.actDcf) == c.bayesError.map(\.actual)
                && j.whole.bayesError?.map(\.minDcf) == c.bayesError.map(\.minimum))
        #expect(
            j.whole.openSet?.threshold == 0.7 && j.whole.openSet?.genuineAccuracy == o.genuineAccuracy && j.whole.openSet?.genuineTrials == 5
                && j.whole.openSet?.genuineRejected == 1 && j.whole.openSet?.impostorAcceptance == 0.25 && j.whole.openSet?.impostorTrials == 4)
        // A length without trials: accuracy null, and no verification figures without a UBM.
        #expect(j.segments.count == 1 && j.segments[0].segmentSeconds == 2.5 && j.segments[0].accuracy == nil && j.segments[0].trials == 0)
        #expect(j.segments[0].eer == nil && j.segments[0].cllr == nil && j.segments[0].openSet == nil)
        // Speakers in model order.
        #expect(j.perSpeaker.map(\.speaker) == ["ann", "bo"] && j.perSpeaker.map(\.trials) == [2, 3] && j.perSpeaker.map(\.correct) == [2, 2])
        #expect(j.perSpeaker[1].accuracy == 2.0 / 3)
        #expect(j.confusion.speakers == r.speakers && j.confusion.matrix == r.confusion)
        #expect(j.skippedFiles == r.skipped)
        #expect(j.segmentNormalization == "segment" && j.scoreNormalization == "tnorm" && j.thresholdSource == "given" && j.runSeconds == 1.25)
        // Narrow-band files counted, whatever their rates.
        #expect(j.narrowBandFiles.test == 3 && j.narrowBandFiles.impostors == 1)
    }

    @Test func accuracyAndSkippedFilesDecodeAsTheyEncode() throws {
        for a in [AccuracyResult(correct: 3, trials: 7), AccuracyResult(correct: 0, trials: 0)] {
            #expect(try JSONDecoder().decode(AccuracyResult.self, from: try Self.encoded(a)) == a)
        }
        let o = try Self.object(AccuracyResult(correct: 0, trials: 0))
        #expect(o["accuracy"] is NSNull && o["trials"] as? Int == 0)
        let s = SkippedFile(path: "a/b.wav", reason: "a/b.wav: empty")
        #expect(try JSONDecoder().decode(SkippedFile.self, from: try Self.encoded(s)) == s)
        #expect(try Self.object(s) as NSDictionary == ["file": "a/b.wav", "error": "a/b.wav: empty"] as NSDictionary)
    }

    /// JSON has no NaN or infinity: such a figure is null, not a failed report.
    @Test func numbersThatAreNotFiniteEncodeAsNull() throws {
        var r = try Self.fullReport()
        r.whole.openSet?.threshold = -.infinity
        r.whole.verification?.eer = .nan
        r.seconds = .infinity
        let o = try Self.object(r)
        #expect((o["open_set"] as? [String: Any])?["threshold"] is NSNull)
        #expect(o["eer"] is NSNull && o["run_seconds"] is NSNull && o["min_dcf"] is NSNumber)
    }

    /// score-report prints the figures alone: the keys evaluate prints for them, and none of
    /// the run's.
    @Test func theFiguresAreTheReportWithoutTheRun() throws {
        let r = try Self.fullReport()
        let figures = try Self.object(r.figures), report = try Self.object(r)
        #expect(Set(figures.keys) == Self.lengthKeys.union(["segments", "per_speaker", "confusion"]))
        for (k, v) in figures { #expect(report[k].map { ($0 as? NSObject) == (v as? NSObject) } == true, "\(k)") }
    }
}

/// The trials an evaluation scores, by test length and true speaker, and what the figures
/// take of them.
struct EvaluationTrialTests {
    func file(_ speaker: TrueSpeaker, whole: [Double], segments: [[Double]] = [], error: String? = nil) -> FileTrials {
        FileTrials(
            speaker: speaker,
            trials: [.init(length: .wholeFile, scores: whole, cohort: nil, frames: 100 * segments.count)]
                + segments.enumerated().map { .init(length: .segment(index: 0), scores: $1, cohort: nil, start: 100 * $0, frames: 100) },
            error: error, path: "\(speaker)-\(whole)")
    }

    @Test func testLengthsAndTrueSpeakers() {
        #expect(TestLength.all(segmentLengths: 2) == [.wholeFile, .segment(index: 0), .segment(index: 1)])
        #expect(TestLength.all(segmentLengths: 0) == [.wholeFile])
        #expect(TestLength.wholeFile.seconds([1, 2]) == nil && TestLength.segment(index: 1).seconds([1, 2]) == 2)
        #expect(TrueSpeaker.impostor.model == nil && TrueSpeaker.enrolled(3).model == 3)
        #expect(file(.enrolled(0), whole: [1], error: "broken").scoredModel == nil && file(.impostor, whole: [1]).scoredModel == nil)
    }

    /// Verification trials come from the enrolled speakers' usable files only: impostor files
    /// serve the open-set figures, unusable ones none.
    @Test func verificationTrialsAreTheEnrolledSpeakersUsableFiles() {
        let files = [
            file(.enrolled(0), whole: [2, 1], segments: [[0.5, 0.7], [0.9, 0.1]]),
            file(.impostor, whole: [5, 5], segments: [[5, 5]]),
            file(.enrolled(1), whole: [3, 3], error: "unreadable"),
        ]
        let whole = Evaluator.verificationScores(files, length: .wholeFile, normalize: \.scores)
        #expect(whole.0 == [2] && whole.1 == [1])
        let segments = Evaluator.verificationScores(files, length: .segment(index: 0), normalize: \.scores)
        #expect(segments.0 == [0.5, 0.9] && segments.1 == [0.7, 0.1])
        var listed = files
        listed[0].listed = [(model: 1, isTarget: false)]
        #expect(Evaluator.verificationScores(listed, length: .wholeFile, normalize: \.scores) == ([], [1]))
    }

    @Test func openSetCountsTheIdentifiedSpeakerAgainstTheThreshold() {
        let test = [
            file(.enrolled(0), whole: [3, 1]),  // accepted, right
            file(.enrolled(1), whole: [3, 1]),  // accepted, wrong speaker
            file(.enrolled(0), whole: [1, 0]),  // rejected
            file(.enrolled(1), whole: [9, 9], error: "unreadable"),
        ]
        let impostors = [file(.impostor, whole: [2.5, 0]), file(.impostor, whole: [0, 1])]
        let o = Evaluator.openSet(test: test, impostors: impostors, length: .wholeFile, threshold: 2, decide: \.scores)
        #expect(o == OpenSetResult(threshold: 2, genuineCorrect: 1, genuineRejected: 1, genuineTrials: 3, impostorAccepted: 1, impostorTrials: 2))
        #expect(Evaluator.openSet(test: test, impostors: impostors, length: .segment(index: 0), threshold: 2, decide: \.scores).genuineTrials == 0)
    }
}
