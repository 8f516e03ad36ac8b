/// One verification trial: a test file or a segment of it, scored against one enrolled model.
public struct VerificationScore: Sendable, Equatable {
    public var path: String
    /// Segment length in seconds of speech; nil for the whole file.
    public var seconds: Double?
    /// Where the segment starts, in seconds of speech frames (0 for the whole file).
    public var startSeconds: Double
    public var model: String
    /// The test file's true speaker.
    public var speaker: String
    /// The score the verification figures use (normalised if score normalisation is on).
    public var score: Double
    /// The average log-likelihood ratio before normalisation.
    public var rawScore: Double
    /// Seconds of speech in the trial (the file's, or the segment's).
    public var testSeconds: Double = 0
    /// Seconds of speech the model was enrolled on.
    public var enrolSeconds: Double = 0
    /// The calibrated natural-log LLR, when the evaluation had a calibration.
    public var llr: Double?
    /// The d-vector system's score (cosine) of the same trial, when the evaluation had an
    /// encoder (for fitting a fusion; score files do not carry it).
    public var dvectorScore: Double?

    public var isTarget: Bool { model == speaker }
}
