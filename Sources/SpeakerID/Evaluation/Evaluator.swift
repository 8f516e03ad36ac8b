import Foundation

/// Accuracy over one set of trials.
public struct AccuracyResult: Codable, Sendable, Equatable {
    public var correct: Int
    public var trials: Int
    public var accuracy: Double { trials > 0 ? Double(correct) / Double(trials) : 0 }
}

/// Accuracy for test segments of one length.
public struct SegmentResult: Codable, Sendable, Equatable {
    public var seconds: Double
    public var correct: Int
    public var trials: Int
    public var accuracy: Double { trials > 0 ? Double(correct) / Double(trials) : 0 }
}

/// The outcome of a closed-set identification evaluation.
public struct EvaluationReport: Sendable {
    public var speakers: [String]
    /// Whole-file trials.
    public var overall: AccuracyResult
    public var segments: [SegmentResult]
    /// Whole-file accuracy per true speaker.
    public var perSpeaker: [String: AccuracyResult]
    /// confusion[true][predicted] counts of whole-file trials, indexed like `speakers`.
    public var confusion: [[Int]]
    /// Files that could not be used, with the reason (only with skip-bad).
    public var skipped: [(path: String, reason: String)]
    public var segmentNormalization: SegmentNormalization
    public var seconds: Double
}

/// Which frames a test segment's normalisation (CMN, warping) is computed over.
public enum SegmentNormalization: String, Sendable, CaseIterable {
    /// The whole test file's speech frames, then cut into segments (the protocol of Reynolds &
    /// Rose and of the scikit-learn peer: features of a test utterance, segmented).
    case file
    /// The segment's own frames only, as if the segment were a clip of its own: harder.
    case segment
}

/// Runs Reynolds' closed-set protocol: every test file is a trial, and so is every
/// consecutive, non-overlapping run of S seconds of speech frames cut from it (the remainder
/// dropped), for each S asked for. Each trial is normalised on its own frames.
public struct Evaluator: Sendable {
    public let identifier: Identifier
    public var segmentSeconds: [Double]
    public var threads: Int
    public var skipBad: Bool
    public var segmentNormalization: SegmentNormalization = .file
    /// Format of headerless test audio, if the corpus holds any.
    public var raw: RawAudioFormat?
    public var progress: (@Sendable (Int, Int) -> Void)?

    public init(identifier: Identifier, segmentSeconds: [Double] = [], threads: Int = defaultThreadCount(), skipBad: Bool = false) {
        self.identifier = identifier
        self.segmentSeconds = segmentSeconds
        self.threads = threads
        self.skipBad = skipBad
    }

    /// Speech frames in a segment of `seconds`.
    public func segmentFrames(_ seconds: Double) -> Int {
        max(1, Int((seconds * 1000 / identifier.frontEnd.options.framing.frameShiftMs).rounded()))
    }

    struct FileOutcome: Sendable {
        var truth: Int
        var whole: Int
        var segments: [[Int]]  // per segment length, predicted index of each segment
        var error: String?
        var path: String
    }

    public func evaluate(_ entries: [CorpusEntry]) async throws -> EvaluationReport {
        let start = Date()
        let speakers = identifier.speakers
        let index = Dictionary(uniqueKeysWithValues: speakers.enumerated().map { ($1, $0) })
        let missing = Set(entries.map(\.speaker)).subtracting(index.keys).sorted()
        if !missing.isEmpty {
            throw EvaluationError.unenrolledSpeakers(missing)
        }
        let lengths = segmentSeconds.map(segmentFrames)
        let segmentNorm = segmentNormalization
        let raw = self.raw
        let id = identifier
        let skip = skipBad
        let counter = ProgressCounter(total: entries.count, report: progress)
        let outcomes = try await parallelMap(count: entries.count, threads: threads) { i -> FileOutcome in
            let e = entries[i]
            defer { counter.tick() }
            let truth = index[e.speaker]!
            let feats: SpeechFeatures
            do { feats = try id.frontEnd.features(of: .file(e.path), raw: raw) } catch {
                if skip { return FileOutcome(truth: truth, whole: -1, segments: [], error: "\(error)", path: e.path) }
                throw error
            }
            let normalizedWhole = id.frontEnd.normalized(feats.frames)
            // Per-frame log-likelihoods under every model, computed once: with file-level
            // normalisation a segment's score is the mean over its range of frames.
            let perFrame = id.models.map { $0.gmm.frameLogLikelihoods(normalizedWhole) }
            func best(_ range: Range<Int>) -> Int {
                Identifier.best(perFrame.map { f in f[range].reduce(0, +) / Double(range.count) })
            }
            let whole = best(0..<normalizedWhole.rows)
            let segs = lengths.map { n -> [Int] in
                stride(from: 0, through: feats.frames.rows - n, by: n).map { s in
                    switch segmentNorm {
                    case .file: return best(s..<(s + n))
                    case .segment: return Identifier.best(id.scores(id.frontEnd.normalized(feats.frames.slice(s..<(s + n)))))
                    }
                }
            }
            return FileOutcome(truth: truth, whole: whole, segments: segs, error: nil, path: e.path)
        }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: speakers.count), count: speakers.count)
        var overall = AccuracyResult(correct: 0, trials: 0)
        var per: [String: AccuracyResult] = [:]
        var segs = segmentSeconds.map { SegmentResult(seconds: $0, correct: 0, trials: 0) }
        var skipped: [(String, String)] = []
        for o in outcomes {
            if let err = o.error { skipped.append((o.path, err)); continue }
            confusion[o.truth][o.whole] += 1
            let ok = o.truth == o.whole ? 1 : 0
            overall.correct += ok
            overall.trials += 1
            per[speakers[o.truth], default: AccuracyResult(correct: 0, trials: 0)].correct += ok
            per[speakers[o.truth], default: AccuracyResult(correct: 0, trials: 0)].trials += 1
            for (j, preds) in o.segments.enumerated() {
                segs[j].trials += preds.count
                segs[j].correct += preds.filter { $0 == o.truth }.count
            }
        }
        return EvaluationReport(speakers: speakers, overall: overall, segments: segs, perSpeaker: per,
                                confusion: confusion, skipped: skipped, segmentNormalization: segmentNormalization,
                                seconds: Date().timeIntervalSince(start))
    }
}

public enum EvaluationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unenrolledSpeakers([String])

    public var description: String {
        switch self {
        case .unenrolledSpeakers(let s):
            return "test speakers with no enrolled model: \(s.prefix(10).joined(separator: ", "))\(s.count > 10 ? ", ..." : ""); enrol them first (closed-set identification)"
        }
    }
}

/// Counts finished work items from many tasks and reports (done, total).
final class ProgressCounter: @unchecked Sendable {
    // @unchecked: `done` is only touched under `lock`.
    private let lock = NSLock()
    private var done = 0
    let total: Int
    let report: (@Sendable (Int, Int) -> Void)?

    init(total: Int, report: (@Sendable (Int, Int) -> Void)?) {
        self.total = total
        self.report = report
    }

    func tick() {
        guard let report else { return }
        lock.lock()
        done += 1
        let d = done
        lock.unlock()
        report(d, total)
    }
}
