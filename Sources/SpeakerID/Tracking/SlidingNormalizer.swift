/// Cepstral mean (and variance) normalisation over a sliding window, for streams: a speech
/// frame is normalised by the mean of the speech frames from `backFrames` before it to
/// `aheadFrames` after it, so each stretch of a conversation is normalised over about one
/// turn's worth of speech, as an enrolment recording was over itself. With `breakFrames` > 0
/// the window also stops at pauses of at least that many frames, where turns usually change,
/// so one speaker's frames are not normalised by the next speaker's mean. A frame is handed
/// on once the frames `aheadFrames` after it have arrived; memory is the window's, however
/// long the stream.
struct SlidingNormalizer {
    let mode: NormalizationMode
    let backFrames: Int, aheadFrames: Int, breakFrames: Int
    let columns: Int
    /// Frames `start ..< start + speech.count` still needed: their features (row-major) and
    /// whether each is speech.
    private var values: [Float] = []
    private var speech: [Bool] = []
    /// Each frame's stretch of speech between pauses of `breakFrames` or more.
    private var run: [Int] = []
    private var currentRun = 0, lastSpeech = -1, activeRun = 0
    private var head = 0
    private var start = 0
    /// Sums over the speech frames of the window [lo, hi).
    private var sum: [Double], sumSquares: [Double]
    private var count = 0
    private var lo = 0, hi = 0
    /// The next frame to hand on.
    private(set) var next = 0

    /// Frames handed on: indices `first ..< first + isSpeech.count`; `features` holds one
    /// normalised row per speech frame, in order, and `raw` the same rows as they came.
    struct Output {
        var first: Int
        var isSpeech: [Bool]
        var features: FeatureMatrix
        var raw: FeatureMatrix
    }

    /// A normaliser for `mode` (`none`, `mean` or `meanVariance`; warping needs ranks over
    /// the window and is not offered for streams).
    init(mode: NormalizationMode, columns: Int, backFrames: Int, aheadFrames: Int, breakFrames: Int = 0) {
        precondition(mode != .warp, "SlidingNormalizer: warping is refused by TrackerOptions.validate")
        self.mode = mode
        self.columns = columns
        self.backFrames = max(0, backFrames)
        self.aheadFrames = max(0, aheadFrames)
        self.breakFrames = max(0, breakFrames)
        sum = [Double](repeating: 0, count: columns)
        sumSquares = [Double](repeating: 0, count: columns)
    }

    /// Frames received so far.
    var received: Int { start + speech.count - head }

    /// Adds frames (`features` rows for frames `received ...`, with their speech decisions);
    /// returns the frames now normalised.
    mutating func push(features: FeatureMatrix, rows: Range<Int>, isSpeech: [Bool]) -> Output {
        precondition(rows.count == isSpeech.count)
        features.values.withUnsafeBufferPointer { v in
            values.append(contentsOf: v[(rows.lowerBound * columns)..<(rows.upperBound * columns)])
        }
        for s in isSpeech {
            let u = start + speech.count - head
            if s {
                if breakFrames > 0 && lastSpeech >= 0 && u - lastSpeech - 1 >= breakFrames { currentRun += 1 }
                lastSpeech = u
            }
            speech.append(s)
            run.append(currentRun)
        }
        return take(upTo: received - aheadFrames)
    }

    /// Normalises every frame still held (the end of the stream).
    mutating func finish() -> Output { take(upTo: received) }

    private func index(_ t: Int) -> Int { head + t - start }

    private mutating func include(_ t: Int, sign: Double) {
        guard speech[index(t)], run[index(t)] == activeRun else { return }
        let base = index(t) * columns
        for c in 0..<columns {
            let x = Double(values[base + c])
            sum[c] += sign * x
            sumSquares[c] += sign * x * x
        }
        count += sign > 0 ? 1 : -1
    }

    private mutating func take(upTo end: Int) -> Output {
        var out = Output(first: next, isSpeech: [], features: FeatureMatrix(columns: columns), raw: FeatureMatrix(columns: columns))
        guard end > next else { return out }
        var normalized = [Float](), raw = [Float]()
        while next < end {
            let t = next
            if speech[index(t)] && run[index(t)] != activeRun {
                // A new stretch after a pause: its window starts afresh.
                activeRun = run[index(t)]
                for c in 0..<columns {
                    sum[c] = 0
                    sumSquares[c] = 0
                }
                count = 0
                lo = max(lo, t - backFrames)
                for u in lo..<hi { include(u, sign: 1) }
            }
            let newHi = min(received, t + aheadFrames + 1)
            while hi < newHi {
                include(hi, sign: 1)
                hi += 1
            }
            let newLo = max(0, t - backFrames)
            while lo < newLo {
                include(lo, sign: -1)
                lo += 1
            }
            let isSpeech = speech[index(t)]
            out.isSpeech.append(isSpeech)
            if isSpeech {
                let base = index(t) * columns
                let n = Double(max(count, 1))
                raw.append(contentsOf: values[base..<(base + columns)])
                for c in 0..<columns {
                    let x = Double(values[base + c])
                    switch mode {
                    case .none: normalized.append(Float(x))
                    case .mean: normalized.append(Float(x - sum[c] / n))
                    case .meanVariance, .warp:
                        let m = sum[c] / n
                        let v = max(0, sumSquares[c] / n - m * m)
                        normalized.append(Float((x - m) * (v > 1e-20 ? 1 / v.squareRoot() : 1)))
                    }
                }
            }
            next += 1
        }
        out.features = FeatureMatrix(rows: normalized.count / columns, columns: columns, values: normalized)
        out.raw = FeatureMatrix(rows: raw.count / columns, columns: columns, values: raw)
        // Forget frames no window will need again.
        let keepFrom = min(lo, next)
        while start < keepFrom {
            head += 1
            start += 1
        }
        if head > 4096 && head * 2 > speech.count {
            values.removeFirst(head * columns)
            speech.removeFirst(head)
            run.removeFirst(head)
            head = 0
        }
        return out
    }
}
