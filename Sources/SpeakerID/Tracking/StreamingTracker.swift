import Foundation

/// Who spoke when, as the audio comes in: enrolled speakers by name, everyone else as unknown.
///
/// Audio is pushed in blocks of any size; each push returns what is now known: a live decision
/// about the newest window every `hopSeconds`, and timeline segments as they close. The frame
/// scores of every enrolled model are computed once per frame and kept only as long as a
/// window needs them, so memory stays constant however long the stream.
///
/// The method is the classic one (Reynolds' group; LIUM SpkDiarization), over enrolled models:
/// 1. MFCC frames as the models were trained with; energy speech detection relative to the
///    loudest frame and to the noise level of a sliding window; cepstral mean normalisation over
///    a sliding window of speech (about one turn).
/// 2. Each speech frame's log-likelihood ratio for every enrolled model against the UBM
///    (top-C scoring), summed in blocks of `stepSeconds`.
/// 3. Speaker-change detection by the Bayesian information criterion between adjacent windows
///    of static cepstra: a change point lowers the decoder's change penalty there.
/// 4. Viterbi decoding over the enrolled speakers and an unknown state with a minimum turn
///    duration and fixed lag. A speaker's per-frame score has its open-set threshold (the
///    calibration's Bayes threshold as an average score) taken off, so the unknown state, which
///    scores 0, wins where nobody enrolled would be accepted.
/// 5. Each segment (the decoder's runs, pauses of up to `maximumGapSeconds` inside them) is
///    decided on its own: the best speaker over its frames, named when the calibrated LLR at the
///    segment's speech duration reaches the threshold, else unknown (clustered into unknown-N by
///    BIC with `clusterUnknown`).
///
/// With `EncoderSegmentScoring` (the d-vector system or the fusion), segments and live windows
/// are decided instead on their audio's embedding (pieces of a long turn pooled), the tracker
/// keeping only the 16-kHz audio that an open segment or a pending block can still need.
public final class StreamingTracker {
    public let identifier: Identifier
    public let options: TrackerOptions
    public let name: String
    /// The speaker encoder's decisions, when segments are decided by the d-vector system or the fusion.
    public let encoderScoring: EncoderSegmentScoring?
    /// The rule segments and live windows are decided by.
    let rule: DecisionRule
    /// Decides with the GMM frame scores; its rule sets the decoder's unknown state.
    let decider: SpeechDecider
    private var encoderAudio = SegmentAudio()
    private let encoderResampler: Resampler?
    private var convertedForEncoder: [Float] = []
    private let pieceFrames: Int
    private let stream: FrameStream
    private var detector: StreamingSpeechDetector
    private var normalizer: SlidingNormalizer
    private let sourceRate: Int
    private let frameSeconds: Double, frameOffset: Double
    private let stepFrames: Int, hopFrames: Int, liveFrames: Int
    private let thresholds: [Double]
    private let speakerCount: Int
    /// Columns of the static cepstra the BIC compares (the energy term left out).
    private let bicColumns: Range<Int>

    /// Features of frames waiting for their speech decision, oldest first.
    private var awaiting: [Float] = []
    private var awaitingHead = 0

    // Blocks: the one being filled, those waiting for change detection, those in the decoder.
    private var current: Block
    private var changeQueue: [Block] = []
    private var decoding: [Block] = []
    private var decoder: SpeakerDecoder
    private let changeWindow: Int, changeMargin: Int
    /// The last speech frame handed to the decoder, for the length of the pause before a block.
    private var lastSpeechFrame = -1
    private let pauseFrames: Int

    private var open: OpenSegment?
    private var clusters: UnknownClusters

    // The live window: each frame's speech flag and scores, in a ring.
    private var liveSpeech: [Bool]
    private var liveScores: [Double]
    private var liveSums: [Double]
    private var liveCount = 0
    private var processed = 0

    /// Frames scored as speech so far.
    public private(set) var speechFrames = 0
    private var finished = false

    struct Block {
        var index: Int
        var speechFrames = 0
        var firstSpeech = -1, lastSpeech = -1
        var lastFrame = -1
        var sums: [Double]
        var stats: GaussianStatistics
        var changePoint = false
        var deltaBIC: Double?
        var bicComputed = false
    }

    struct OpenSegment {
        var state: Int
        var firstSpeech: Int, lastSpeech: Int
        var frames: Int
        var sums: [Double]
        var stats: GaussianStatistics
        /// With the encoder: the first frame whose audio is not yet embedded, and the pooled
        /// window embeddings of the audio before it.
        var embedFrom: Int
        var windowSum: [Double] = []
        var windows = 0

        /// Takes in the segment after this one (both embedded whole): one segment of both.
        mutating func join(_ next: OpenSegment) {
            lastSpeech = next.lastSpeech
            frames += next.frames
            for k in sums.indices { sums[k] += next.sums[k] }
            stats.add(next.stats)
            Self.add(next.windowSum, to: &windowSum)
            windows += next.windows
            embedFrom = next.embedFrom
        }

        /// `sum += x`, an empty `sum` standing for zeros of `x`'s length.
        static func add(_ x: [Double], to sum: inout [Double]) {
            guard !x.isEmpty else { return }
            if sum.isEmpty { sum = [Double](repeating: 0, count: x.count) }
            for i in x.indices { sum[i] += x[i] }
        }
    }

    /// A tracker for audio at `sourceSampleRate` Hz (resampled to the models' rate), scored
    /// against `identifier`'s models and decided by `rule`.
    public init(
        identifier: Identifier, rule: DecisionRule, options: TrackerOptions = TrackerOptions(),
        sourceSampleRate: Int, name: String = "stream", encoderScoring: EncoderSegmentScoring? = nil
    ) throws {
        try options.validate()
        let fe = identifier.frontEnd.options
        if fe.normalization.mode == .warp {
            throw TrackingError.unsupportedNormalization(
                "the models normalise features by warping, which needs a whole recording; tracking supports none, mean or mean-variance normalisation"
            )
        }
        if let reserved = identifier.speakers.first(where: TrackedSegment.isReservedLabel) { throw TrackingError.reservedName(reserved) }
        if sourceSampleRate < AudioLimits.minimumRate || sourceSampleRate > AudioLimits.maximumRate {
            throw AudioError.unsupportedSampleRate(name, rate: sourceSampleRate)
        }
        self.identifier = identifier
        self.options = options
        self.name = name
        self.rule = rule
        self.encoderScoring = encoderScoring
        encoderResampler =
            encoderScoring == nil || sourceSampleRate == SpeakerEncoder.sampleRate
            ? nil : try Resampler(from: sourceSampleRate, to: SpeakerEncoder.sampleRate, quality: .best, name: name)
        sourceRate = sourceSampleRate
        stream = try FrameStream(frontEnd: identifier.frontEnd, sourceRate: sourceSampleRate, name: name)
        frameSeconds = Double(fe.framing.frameShift) / Double(fe.framing.sampleRate)
        frameOffset = Double(fe.framing.frameLength - fe.framing.frameShift) / 2 / Double(fe.framing.sampleRate)
        func count(_ s: Double) -> Int { Int((s / (Double(fe.framing.frameShift) / Double(fe.framing.sampleRate))).rounded()) }
        detector = StreamingSpeechDetector(
            vad: fe.vad, snrDB: options.speechSNRDB, noisePercentile: options.noisePercentile,
            backFrames: count(options.speechWindowBackSeconds), aheadFrames: count(options.speechWindowAheadSeconds))
        normalizer = SlidingNormalizer(
            mode: fe.normalization.mode, columns: fe.dimension,
            backFrames: count(options.normalizationBackSeconds), aheadFrames: count(options.normalizationAheadSeconds),
            breakFrames: count(options.normalizationBreakSeconds))
        stepFrames = max(1, count(options.stepSeconds))
        pauseFrames = max(1, count(options.pauseSeconds))
        hopFrames = max(1, count(options.hopSeconds))
        liveFrames = max(1, count(options.liveWindowSeconds))
        pieceFrames = max(1, count(encoderScoring?.pieceSeconds ?? 30))
        speakerCount = identifier.models.count
        decider = SpeechDecider(
            speakers: identifier.speakers, enrolSeconds: identifier.models.map(\.training.speechSeconds),
            rule: encoderScoring?.decoderRule(rule) ?? rule, frameSeconds: frameSeconds)
        thresholds = decider.frameThresholds(seconds: options.unknownReferenceSeconds)
        let energy = fe.cepstral.energy == .none ? 0 : 1
        bicColumns = energy..<max(energy + 1, fe.staticDimension)
        let stepSeconds = Double(max(1, count(options.stepSeconds))) * frameSeconds
        func blocks(_ s: Double) -> Int { Int((s / stepSeconds).rounded()) }
        changeWindow = max(1, blocks(options.changeWindowSeconds))
        changeMargin = max(1, changeWindow / 2)
        decoder = SpeakerDecoder(
            states: speakerCount + (decider.openSet ? 1 : 0), minimumBlocks: max(1, blocks(options.minimumTurnSeconds)),
            lagBlocks: max(1, blocks(options.lagSeconds)))
        current = Block(index: 0, sums: [Double](repeating: 0, count: speakerCount), stats: GaussianStatistics(dimension: bicColumns.count))
        clusters = UnknownClusters(lambda: options.clusterLambda, maximum: options.maximumUnknownSpeakers)
        liveSpeech = [Bool](repeating: false, count: liveFrames)
        liveScores = [Double](repeating: 0, count: liveFrames * speakerCount)
        liveSums = [Double](repeating: 0, count: speakerCount)
    }

    /// Seconds of audio received.
    public var secondsReceived: Double { stream.seconds(sourceRate: sourceRate) }

    /// Seconds of speech scored so far.
    public var speechSeconds: Double { Double(speechFrames) * frameSeconds }

    /// The timeline label the unknown speaker's state of the decoder has.
    private var unknownState: Int { speakerCount }

    /// Adds samples (mono, at the source rate); returns what is now known.
    public func push(_ samples: [Float]) throws -> [TrackerEvent] {
        precondition(!finished, "StreamingTracker.push after finish")
        try keepForEncoder(samples, last: false)
        let block = try stream.push(samples)
        var events: [TrackerEvent] = []
        analyse(block, final: false, into: &events)
        forgetEncoderAudio()
        return events
    }

    /// Ends the stream: returns the remaining segments (and live decisions).
    public func finish() throws -> [TrackerEvent] {
        precondition(!finished, "StreamingTracker.finish called twice")
        finished = true
        try keepForEncoder([], last: true)
        let block = try stream.finish()
        var events: [TrackerEvent] = []
        analyse(block, final: true, into: &events)
        // The last, partial block; the change detector and the decoder's pending blocks.
        if current.lastFrame >= 0 { closeBlock(into: &events) }
        releaseChangeQueue(all: true, into: &events)
        for z in decoder.finish() { commit(z, into: &events) }
        closeSegment(into: &events)
        releasePending(into: &events)
        return events
    }

    // MARK: - Frames to scores

    private func analyse(_ block: FrameStream.Block, final: Bool, into events: inout [TrackerEvent]) {
        awaiting.append(contentsOf: block.features.values)
        var decisions = detector.push(block.powerDB)
        if final { decisions += detector.finish() }
        let D = identifier.frontEnd.options.dimension
        if !decisions.isEmpty {
            let rows = decisions.count
            let m = FeatureMatrix(rows: rows, columns: D, values: Array(awaiting[awaitingHead..<(awaitingHead + rows * D)]))
            awaitingHead += rows * D
            if awaitingHead > 1 << 16 && awaitingHead * 2 > awaiting.count {
                awaiting.removeFirst(awaitingHead)
                awaitingHead = 0
            }
            consume(normalizer.push(features: m, rows: 0..<rows, isSpeech: decisions), into: &events)
        }
        if final { consume(normalizer.finish(), into: &events) }
    }

    private func consume(_ out: SlidingNormalizer.Output, into events: inout [TrackerEvent]) {
        guard !out.isSpeech.isEmpty else { return }
        let scores = out.features.rows > 0 ? identifier.frameScores(out.features) : []
        var j = 0
        out.raw.values.withUnsafeBufferPointer { raw in
            for (i, isSpeech) in out.isSpeech.enumerated() {
                let t = out.first + i
                if t / stepFrames != current.index { closeBlock(into: &events) }
                current.lastFrame = t
                let live = t % liveFrames
                // Leave the live window: the frame liveFrames ago.
                if processed >= liveFrames && liveSpeech[live] {
                    for s in 0..<speakerCount { liveSums[s] -= liveScores[live * speakerCount + s] }
                    liveCount -= 1
                }
                liveSpeech[live] = isSpeech
                if isSpeech {
                    speechFrames += 1
                    current.speechFrames += 1
                    if current.firstSpeech < 0 { current.firstSpeech = t }
                    current.lastSpeech = t
                    for s in 0..<speakerCount {
                        let v = scores[s][j]
                        current.sums[s] += v
                        liveScores[live * speakerCount + s] = v
                        liveSums[s] += v
                    }
                    liveCount += 1
                    current.stats.add(raw.baseAddress! + j * out.raw.columns + bicColumns.lowerBound)
                    j += 1
                }
                processed += 1
                if options.liveDecisions && processed % hopFrames == 0 { events.append(.live(liveDecision(newest: t))) }
            }
        }
    }

    private func liveDecision(newest t: Int) -> LiveDecision {
        let start = max(0, t - liveFrames + 1)
        let frames = liveCount
        var d: SpeakerDecision
        if let encoderScoring {
            // The live window's audio, embedded whole.
            var sum: [Double] = [], n = 0
            pool(encoderScoring.windows(of: encoderSamples(from: start, through: t)), into: &sum, count: &n)
            d = encoderScoring.decide(
                windowSum: sum, windows: n, gmmSums: liveSums, frames: frames, speechSeconds: Double(frames) * frameSeconds,
                enrolSeconds: decider.enrolSeconds, rule: rule)
        } else {
            d = decider.decide(sums: liveSums, frames: frames)
        }
        if d.speechSeconds < options.liveMinimumSpeechSeconds {
            d = SpeakerDecision(outcome: .noSpeech, speaker: nil, bestSpeaker: nil, score: nil, llr: nil, speechSeconds: d.speechSeconds)
        }
        let label: String? = d.outcome == .noSpeech ? nil : d.speaker ?? TrackedSegment.unknownLabel(cluster: nil)
        return LiveDecision(start: cellStart(start), end: cellEnd(t), label: label, decision: d)
    }

    // MARK: - Blocks, change detection, decoding

    private func closeBlock(into events: inout [TrackerEvent]) {
        let next = current.index + 1
        changeQueue.append(current)
        current = Block(index: next, sums: [Double](repeating: 0, count: speakerCount), stats: GaussianStatistics(dimension: bicColumns.count))
        releaseChangeQueue(all: false, into: &events)
    }

    /// Delta BIC at the start of block `b` (global index), from the windows of `changeWindow`
    /// blocks either side (nil with too little speech on a side); computed once.
    private func deltaBIC(_ b: Int) -> Double? {
        let i = b - queueStart
        if changeQueue[i].bicComputed { return changeQueue[i].deltaBIC }
        var left = GaussianStatistics(dimension: bicColumns.count), right = left
        for k in max(0, i - changeWindow)..<i { left.add(changeQueue[k].stats) }
        for k in i..<min(changeQueue.count, i + changeWindow) { right.add(changeQueue[k].stats) }
        let minimum = Double(2 * bicColumns.count)
        var d: Double?
        if left.count >= minimum && right.count >= minimum { d = GaussianStatistics.deltaBIC(left, right, lambda: options.changeLambda) }
        changeQueue[i].bicComputed = true
        changeQueue[i].deltaBIC = d
        return d
    }

    /// Hands to the decoder the blocks whose change decision is known: a change point is a
    /// positive delta BIC that is the largest within `changeMargin` blocks either side.
    /// `changeQueue` keeps the blocks those windows still need.
    private func releaseChangeQueue(all: Bool, into events: inout [TrackerEvent]) {
        while released < queueStart + changeQueue.count {
            let last = queueStart + changeQueue.count - 1
            if !all && last < released + changeMargin + changeWindow - 1 { break }
            let b = released
            var peak = false
            if let d = deltaBIC(b), d > 0 {
                peak = true
                for k in max(queueStart, b - changeMargin)...min(last, b + changeMargin) where k != b {
                    if let o = deltaBIC(k), o > d || (o == d && k < b) {
                        peak = false
                        break
                    }
                }
            }
            changeQueue[b - queueStart].changePoint = peak
            decode(changeQueue[b - queueStart], into: &events)
            released += 1
            while queueStart < released - changeMargin - changeWindow {
                changeQueue.removeFirst()
                queueStart += 1
            }
        }
    }
    private var queueStart = 0, released = 0

    private func decode(_ block: Block, into events: inout [TrackerEvent]) {
        var e = [Double](repeating: 0, count: decoder.states)
        let n = Double(block.speechFrames)
        for s in 0..<speakerCount { e[s] = block.sums[s] - n * thresholds[s] }
        if decider.openSet { e[unknownState] = n * options.unknownOffset }
        // The cheapest of the costs that apply: a change inside speech, after a pause, at a
        // detected change point.
        var penalty = options.changePenalty
        if block.speechFrames > 0 && block.firstSpeech - lastSpeechFrame - 1 >= pauseFrames { penalty = min(penalty, options.pausePenalty) }
        if block.changePoint { penalty = min(penalty, options.changePointPenalty) }
        if block.speechFrames > 0 { lastSpeechFrame = block.lastSpeech }
        decoding.append(block)
        for z in decoder.push(emissions: e, changePenalty: penalty) { commit(z, into: &events) }
    }

    // MARK: - Segments

    private func commit(_ state: Int, into events: inout [TrackerEvent]) {
        let block = decoding.removeFirst()
        guard block.speechFrames > 0 else {
            if let o = open, !withinGap(after: o.lastSpeech, before: block.lastFrame + 1) { closeSegment(into: &events) }
            if open == nil, let p = pending, !withinGap(after: p.pool.lastSpeech, before: block.lastFrame + 1) { releasePending(into: &events) }
            return
        }
        // With the encoder, a pause ends a segment: each stretch between pauses is embedded and
        // decided on its own (turns of one speaker get one name again).
        let splitAtPause = encoderScoring != nil && block.firstSpeech - (open?.lastSpeech ?? 0) - 1 >= pauseFrames
        if var o = open, o.state == state, !splitAtPause, withinGap(after: o.lastSpeech, before: block.firstSpeech),
            !(options.clusterUnknown && state == unknownState && block.changePoint)
        {
            o.lastSpeech = block.lastSpeech
            o.frames += block.speechFrames
            for s in 0..<speakerCount { o.sums[s] += block.sums[s] }
            o.stats.add(block.stats)
            open = o
            embedLongSegment()
            return
        }
        closeSegment(into: &events)
        // A held segment the new one cannot join (too far after it) is final now, not when the
        // new one closes.
        if let p = pending, !withinGap(after: p.pool.lastSpeech, before: block.firstSpeech) {
            releasePending(nextStart: cellStart(block.firstSpeech), into: &events)
        }
        open = OpenSegment(
            state: state, firstSpeech: block.firstSpeech, lastSpeech: block.lastSpeech,
            frames: block.speechFrames, sums: block.sums, stats: block.stats, embedFrom: block.firstSpeech)
        embedLongSegment()
    }

    // MARK: - The speaker encoder's audio

    /// Keeps the 16-kHz audio the encoder may need (only with an encoder).
    private func keepForEncoder(_ samples: [Float], last: Bool) throws {
        guard encoderScoring != nil else { return }
        if let encoderResampler {
            try encoderResampler.process(samples, last: last, into: &convertedForEncoder)
            encoderAudio.append(convertedForEncoder)
        } else {
            encoderAudio.append(samples)
        }
    }

    /// The absolute 16-kHz sample index where frame `t`'s cell starts.
    private func encoderSample(_ t: Int) -> Int {
        Int((max(0, Double(t) * frameSeconds + frameOffset) * Double(SpeakerEncoder.sampleRate)).rounded())
    }

    /// The audio of frames `first` through `last`.
    private func encoderSamples(from first: Int, through last: Int) -> [Float] {
        encoderAudio.slice(from: encoderSample(first), to: encoderSample(last + 1))
    }

    /// Drops the audio no open segment, pending block or live window can need any more.
    private func forgetEncoderAudio() {
        guard encoderScoring != nil else { return }
        var frame = current.index * stepFrames
        if released < queueStart + changeQueue.count { frame = min(frame, changeQueue[released - queueStart].index * stepFrames) }
        if let b = decoding.first { frame = min(frame, b.index * stepFrames) }
        if let o = open { frame = min(frame, o.embedFrom) }
        if options.liveDecisions { frame = min(frame, max(0, processed - liveFrames)) }
        encoderAudio.drop(before: encoderSample(frame) - 160)
    }

    /// Embeds an open segment's audio up to its last speech once it exceeds a piece.
    private func embedLongSegment() {
        guard var o = open, o.lastSpeech - o.embedFrom + 1 >= pieceFrames else { return }
        embedRest(of: &o)
        open = o
    }

    /// Pools the embedding windows of `o`'s audio not yet embedded, up to its last speech.
    private func embedRest(of o: inout OpenSegment) {
        guard let encoderScoring, o.embedFrom <= o.lastSpeech else { return }
        pool(encoderScoring.windows(of: encoderSamples(from: o.embedFrom, through: o.lastSpeech)), into: &o.windowSum, count: &o.windows)
        o.embedFrom = o.lastSpeech + 1
    }

    private func pool(_ windows: [[Float]], into sum: inout [Double], count: inout Int) {
        for w in windows { OpenSegment.add(w.map(Double.init), to: &sum) }
        count += windows.count
    }

    /// Whether a pause from after frame `last` to before frame `next` stays inside one turn
    /// (at most `maximumGapSeconds`).
    private func withinGap(after last: Int, before next: Int) -> Bool {
        Double(next - last - 1) <= options.maximumGapSeconds / frameSeconds + 0.5
    }

    private func closeSegment(into events: inout [TrackerEvent]) {
        guard var o = open else { return }
        open = nil
        guard Double(o.frames) * frameSeconds >= options.minimumSegmentSpeechSeconds else { return }
        guard let encoderScoring else {
            let d = decider.decide(sums: o.sums, frames: o.frames)
            events.append(
                .segment(TrackedSegment(start: cellStart(o.firstSpeech), end: cellEnd(o.lastSpeech), label: label(d, o.stats), decision: d)))
            return
        }
        embedRest(of: &o)
        let d = decide(o, encoderScoring)
        let closed = ClosedSegment(
            segment: TrackedSegment(start: cellStart(o.firstSpeech), end: cellEnd(o.lastSpeech), label: label(d, o.stats), decision: d), pool: o)
        // Stretches split at pauses join again when they get the same name within the longest
        // gap of a turn, decided again on their pooled speech.
        if let p = pending, p.segment.label == closed.segment.label, withinGap(after: p.pool.lastSpeech, before: o.firstSpeech) {
            var joined = p.pool
            joined.join(o)
            let jd = decide(joined, encoderScoring)
            if jd.speaker == d.speaker {
                var segment = p.segment
                segment.end = closed.segment.end
                segment.decision = jd
                pending = ClosedSegment(segment: segment, pool: joined)
                return
            }
        }
        releasePending(nextStart: closed.segment.start, into: &events)
        pending = closed
    }

    /// A closed segment held back (with the encoder) until the next one shows whether they join.
    private struct ClosedSegment {
        var segment: TrackedSegment
        var pool: OpenSegment
    }
    private var pending: ClosedSegment?

    /// Releases the held segment, widened into the pauses either side by up to
    /// `options.paddingSeconds` (the energy detector ends speech before its soft edges), never
    /// past the middle of a pause or over the segment released before.
    private func releasePending(nextStart: Double? = nil, into events: inout [TrackerEvent]) {
        guard var p = pending?.segment else { return }
        pending = nil
        let pad = options.paddingSeconds
        var end = min(p.end + pad, secondsReceived)
        if let n = nextStart, n >= p.end { end = min(end, (p.end + n) / 2) }
        p.start = max(p.start - pad, lastReleasedEnd, 0)
        p.end = max(end, p.end)
        lastReleasedEnd = p.end
        events.append(.segment(p))
    }
    private var lastReleasedEnd = 0.0

    private func decide(_ o: OpenSegment, _ encoderScoring: EncoderSegmentScoring) -> SpeakerDecision {
        encoderScoring.decide(
            windowSum: o.windowSum, windows: o.windows, gmmSums: o.sums, frames: o.frames, speechSeconds: Double(o.frames) * frameSeconds,
            enrolSeconds: decider.enrolSeconds, rule: rule)
    }

    private func label(_ d: SpeakerDecision, _ stats: GaussianStatistics) -> String {
        if let s = d.speaker { return s }
        return TrackedSegment.unknownLabel(cluster: options.clusterUnknown ? clusters.assign(stats) : nil)
    }

    /// The 10-ms cell frame `t` stands for (centred on the frame), clamped to the audio received.
    private func cellStart(_ t: Int) -> Double { min(max(0, Double(t) * frameSeconds + frameOffset), secondsReceived) }
    private func cellEnd(_ t: Int) -> Double { min(Double(t + 1) * frameSeconds + frameOffset, secondsReceived) }
}
