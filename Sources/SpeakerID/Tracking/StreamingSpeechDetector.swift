/// Energy speech detection over a sliding window, for streams: a frame is speech when its mean
/// power is within `thresholdDB` of the loudest frame of the window (as `VoiceActivity` does over
/// a whole recording), above the absolute floor, and at least `snrDB` above the window's noise
/// level (its `noisePercentile` power), so a stream that begins with noise alone does not take
/// that noise for speech. The window runs from `backFrames` before the frame to `aheadFrames`
/// after it; a frame's decision is known once `aheadFrames` more frames have arrived.
///
/// Powers are kept in a histogram of 0.5-dB bins, so each frame costs a fixed amount of work
/// and memory stays that of the window, however long the stream.
struct StreamingSpeechDetector {
    let vad: VADOptions
    let snrDB: Double
    let noisePercentile: Double
    let backFrames: Int, aheadFrames: Int
    private static let low = -200.0, binWidth = 0.5, bins = 480
    private var histogram = [Int](repeating: 0, count: bins)
    /// Powers of frames `ringStart ..< ringStart + ring.count`, the window's span.
    private var ring: [Double] = []
    private var ringHead = 0
    private var ringStart = 0
    /// Frames received.
    private(set) var received = 0
    /// The next frame to decide.
    private(set) var next = 0

    init(vad: VADOptions, snrDB: Double, noisePercentile: Double, backFrames: Int, aheadFrames: Int) {
        self.vad = vad
        self.snrDB = snrDB
        self.noisePercentile = noisePercentile
        self.backFrames = max(0, backFrames)
        self.aheadFrames = max(0, aheadFrames)
    }

    private static func bin(_ db: Double) -> Int {
        guard db.isFinite else { return 0 }
        return min(bins - 1, max(0, Int((db - low) / binWidth)))
    }

    private static func value(_ bin: Int) -> Double { low + (Double(bin) + 0.5) * binWidth }

    /// Adds frames' powers; returns the decisions now known, for frames `next ...` in order.
    mutating func push(_ powerDB: [Double]) -> [Bool] {
        var out: [Bool] = []
        for p in powerDB {
            add(p)
            if received - 1 - next >= aheadFrames { out.append(decideNext()) }
        }
        return out
    }

    /// Decides every remaining frame (the end of the stream).
    mutating func finish() -> [Bool] {
        var out: [Bool] = []
        while next < received { out.append(decideNext()) }
        return out
    }

    private mutating func add(_ p: Double) {
        ring.append(p)
        histogram[Self.bin(p)] += 1
        received += 1
    }

    /// The power of frame `t` (still in the window).
    private func power(_ t: Int) -> Double { ring[ringHead + t - ringStart] }

    private mutating func decideNext() -> Bool {
        let t = next
        // Drop frames that fell out of the window behind t.
        while ringStart < t - backFrames {
            histogram[Self.bin(ring[ringHead])] -= 1
            ringHead += 1
            ringStart += 1
        }
        if ringHead > 4096 && ringHead * 2 > ring.count {
            ring.removeFirst(ringHead)
            ringHead = 0
        }
        next += 1
        let p = power(t)
        guard p.isFinite else { return false }
        guard vad.enabled else { return true }
        var top = Self.bins - 1
        while top > 0 && histogram[top] == 0 { top -= 1 }
        // Non-finite powers (digital silence) sit in bin 0 and are no noise level to measure.
        let finite = ring.count - ringHead - histogram[0]
        let want = Int(noisePercentile * Double(finite))
        var seen = 0, noiseBin = top
        for b in 1..<Self.bins {
            seen += histogram[b]
            if seen > want {
                noiseBin = b
                break
            }
        }
        let cut = max(vad.floorDB, Self.value(top) - vad.thresholdDB, Self.value(noiseBin) + snrDB)
        return p >= cut
    }
}
