/// What a stretch of speech says about each enrolled speaker, as sums: the evidence of several
/// stretches (an anonymous speaker's turns) is their sum, so a speaker is decided on all their
/// speech pooled, not on an average of decisions.
public struct SpeechEvidence: Sendable, Equatable {
    /// Each enrolled speaker's frame scores (log-likelihood ratios against the UBM) summed over
    /// the speech frames; empty for the d-vector system.
    public var gmmScoreSums: [Double]
    /// Speech frames behind `gmmScoreSums`.
    public var frames: Int
    /// Their seconds.
    public var gmmSeconds: Double
    /// The speaker encoder's window embeddings summed; empty for the GMM system.
    public var windowSum: [Double]
    /// Windows behind `windowSum`.
    public var windows: Int
    /// Seconds of audio the encoder read after its silence trimming.
    public var encoderSeconds: Double

    /// No speech.
    public static let none = SpeechEvidence(gmmScoreSums: [], frames: 0, gmmSeconds: 0, windowSum: [], windows: 0, encoderSeconds: 0)

    /// Evidence with these sums.
    public init(gmmScoreSums: [Double], frames: Int, gmmSeconds: Double, windowSum: [Double], windows: Int, encoderSeconds: Double) {
        self.gmmScoreSums = gmmScoreSums
        self.frames = frames
        self.gmmSeconds = gmmSeconds
        self.windowSum = windowSum
        self.windows = windows
        self.encoderSeconds = encoderSeconds
    }

    /// The evidence of both stretches.
    public static func + (a: SpeechEvidence, b: SpeechEvidence) -> SpeechEvidence {
        SpeechEvidence(
            gmmScoreSums: Self.add(a.gmmScoreSums, b.gmmScoreSums), frames: a.frames + b.frames, gmmSeconds: a.gmmSeconds + b.gmmSeconds,
            windowSum: Self.add(a.windowSum, b.windowSum), windows: a.windows + b.windows, encoderSeconds: a.encoderSeconds + b.encoderSeconds)
    }

    /// Adds `b`'s evidence to `a`'s.
    public static func += (a: inout SpeechEvidence, b: SpeechEvidence) { a = a + b }

    private static func add(_ x: [Double], _ y: [Double]) -> [Double] {
        if x.isEmpty { return y }
        if y.isEmpty { return x }
        return zip(x, y).map { $0 + $1 }
    }

    /// Each speaker's average frame score (the GMM system's clip score); nil without frames.
    public var gmmScores: [Double]? {
        frames > 0 && !gmmScoreSums.isEmpty ? gmmScoreSums.map { $0 / Double(frames) } : nil
    }

    /// The embedding of the pooled windows (their mean, as a unit vector: the encoder's
    /// utterance embedding); nil without windows.
    public var embedding: [Float]? {
        guard windows > 0 else { return nil }
        let norm = windowSum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return nil }
        return windowSum.map { Float($0 / norm) }
    }
}
