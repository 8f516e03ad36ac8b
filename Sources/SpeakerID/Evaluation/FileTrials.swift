/// Which of a test file's trials: the whole file, or a segment of one of the evaluation's
/// segment lengths.
enum TestLength: Hashable, Sendable {
    case wholeFile
    /// A segment of `Evaluator.segmentSeconds[index]` seconds of speech.
    case segment(index: Int)

    /// Whole files first, then each of `count` segment lengths in order.
    static func all(segmentLengths count: Int) -> [TestLength] {
        [.wholeFile] + (0..<count).map { .segment(index: $0) }
    }

    /// The segment length among `segmentSeconds`; nil for the whole file.
    func seconds(_ segmentSeconds: [Double]) -> Double? {
        switch self {
        case .wholeFile: return nil
        case .segment(let j): return segmentSeconds[j]
        }
    }
}

/// Who really speaks in a scored file.
enum TrueSpeaker: Hashable, Sendable {
    /// Someone without an enrolled model: an impostor or a Z-norm cohort file.
    case impostor
    /// The speaker of the enrolled model at this index.
    case enrolled(Int)

    /// The enrolled model's index; nil for an impostor.
    var model: Int? {
        switch self {
        case .impostor: return nil
        case .enrolled(let i): return i
        }
    }
}

/// Every trial of one file: the whole file and each segment of each segment length.
struct FileTrials: Sendable {
    struct Trial: Sendable {
        var length: TestLength
        var scores: [Double]
        var cohort: [Double]?
        /// First speech frame of the segment (0 for the whole file).
        var start = 0
        /// Speech frames in the trial.
        var frames = 0
        /// The d-vector system's scores (cosines), when the evaluation has an encoder.
        var dvectorScores: [Double]? = nil
    }
    var speaker: TrueSpeaker
    var trials: [Trial]
    var error: String?
    var path: String
    /// The audio's own sample rate, when it lacks part of the models' band (see
    /// `FrontEndOptions.lacksBand`).
    var narrowBandRate: Int? = nil
    /// With a trial list: the models this file is a verification trial for, and whether each
    /// is a target trial; nil: every model.
    var listed: [(model: Int, isTarget: Bool)]? = nil

    /// The trials of one test length, in time order.
    func trials(of length: TestLength) -> [Trial] { trials.filter { $0.length == length } }

    /// The file's enrolled speaker when it could be scored; nil for impostors and unusable files.
    var scoredModel: Int? { error == nil ? speaker.model : nil }
}
