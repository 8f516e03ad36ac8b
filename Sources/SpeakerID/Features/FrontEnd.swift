import Foundation

/// The speech frames of one recording, before per-utterance normalisation.
public struct SpeechFeatures: Sendable {
    /// The input's name (path or stream name).
    public var name: String
    /// Feature vectors of the frames the VAD kept, in time order, not yet normalised.
    public var frames: FeatureMatrix
    /// Frames analysed before the VAD.
    public var totalFrames: Int
    /// Duration of the audio at the front end's rate, in seconds.
    public var duration: Double
    /// Sample rate of the input before resampling.
    public var sourceSampleRate: Int
    public var sourceChannels: Int
    /// Which of the analysed frames the VAD kept (indices into all `totalFrames`), in order;
    /// nil for features made elsewhere. Frame i starts i frame shifts into the audio.
    public var speechFrameIndices: [Int]?

    /// Fraction of the frames the VAD kept.
    public var keptFraction: Double { totalFrames > 0 ? Double(frames.rows) / Double(totalFrames) : 0 }

    /// Speech features computed elsewhere (another front end, a feature file), so they can be
    /// enrolled and scored like SpeakerID's own: the frames must be speech frames, not yet
    /// normalised, made exactly as the models' front end describes.
    public init(name: String, frames: FeatureMatrix, totalFrames: Int? = nil, duration: Double, sourceSampleRate: Int, sourceChannels: Int = 1) {
        self.name = name
        self.frames = frames
        self.totalFrames = totalFrames ?? frames.rows
        self.duration = duration
        self.sourceSampleRate = sourceSampleRate
        self.sourceChannels = sourceChannels
    }
}

/// What `FrontEnd.summary(of:)` reports about a recording.
public struct AudioSummary: Sendable, Equatable {
    public var name: String
    /// Duration at the front end's rate, in seconds.
    public var duration: Double
    public var sourceSampleRate: Int
    public var sourceChannels: Int
    /// Frames analysed, and those the VAD keeps.
    public var frames: Int
    public var speechFrames: Int
    public var keptFraction: Double { frames > 0 ? Double(speechFrames) / Double(frames) : 0 }
}

/// The MFCC front end: audio in, speech feature frames out.
///
/// Data flows one way: decode (libsndfile) -> resample (libsamplerate) -> frame -> DC removal,
/// pre-emphasis, Hamming window -> FFT (FFTW) -> power -> mel filterbank -> log -> DCT-II ->
/// lifter -> deltas -> energy VAD. Normalisation (CMN, CMVN, warping) is applied afterwards by
/// `normalized(_:)`, on whatever span of speech frames is being scored.
///
/// A `FrontEnd` is an immutable value: share one across threads; each call makes its own
/// working buffers.
public struct FrontEnd: Sendable {
    public let options: FrontEndOptions
    let transform: CepstralTransform

    /// A front end for `options` (validated; FFTW plans made or reused).
    public init(options: FrontEndOptions = FrontEndOptions()) throws(FeatureError) {
        self.options = options
        self.transform = try CepstralTransform(options: options)
    }

    /// Where this front end's FFT plan came from: SpeakerID's committed wisdom (the same plan,
    /// and the same features, on every machine that can run it), or FFTW_ESTIMATE's choice
    /// where this FFTW or CPU cannot use the wisdom.
    public var fftPlanSource: FFTPlan.Source { transform.plan.source }

    /// Frames per FFT call (`FFTPlan.batch` of every front end's plan).
    public static var framesPerTransform: Int { CepstralAnalyzer.batch }

    /// Decodes `source` and computes its speech frames, streaming the audio in blocks. Throws
    /// `FeatureError.audio` when the recording cannot be read, `tooShort` or `noSpeech` when it
    /// holds no speech frame; every error names the recording.
    public func features(of source: AudioSource, raw: RawAudioFormat? = nil) throws(FeatureError) -> SpeechFeatures {
        let decoder: AudioDecoder
        do { decoder = try AudioDecoder(source, raw: raw) } catch { throw .audio(error) }
        return try features(from: decoder)
    }

    /// Computes the speech frames of everything `decoder` yields.
    public func features(from decoder: AudioDecoder) throws(FeatureError) -> SpeechFeatures {
        let framer = Framer(transform: transform)
        try stream(decoder) { framer.push($0) }
        return try framer.finish(
            name: decoder.name, sourceRate: decoder.info.sampleRate,
            sourceChannels: decoder.info.channels)
    }

    /// Hands `decoder`'s audio, resampled to the front end's rate, to `consume` block by block.
    private func stream(_ decoder: AudioDecoder, _ consume: ([Float]) -> Void) throws(FeatureError) {
        do {
            let rate = options.framing.sampleRate
            let resampler: Resampler? =
                decoder.info.sampleRate == rate
                ? nil
                : try Resampler(from: decoder.info.sampleRate, to: rate, quality: options.resampleQuality, name: decoder.name)
            var block: [Float] = []
            var converted: [Float] = []
            var more = try decoder.readBlock(into: &block)
            while more {
                let current = block
                more = try decoder.readBlock(into: &block)
                if let resampler {
                    try resampler.process(current, last: !more, into: &converted)
                    consume(converted)
                } else {
                    consume(current)
                }
            }
        } catch {
            throw .audio(error)
        }
    }

    /// Streams `source` in chunks of at most `chunkSeconds` of audio and calls `body` with each
    /// chunk's speech frames (a chunk without speech is skipped), so memory stays bounded
    /// however long the recording: about `chunkSeconds` of features at a time. Frames run on
    /// across chunk boundaries; the VAD and the deltas see one chunk at a time. Returns the
    /// number of chunks with speech, the audio's duration and its sample rate before
    /// resampling; throws `noSpeech` if no chunk had any speech.
    @discardableResult
    public func forEachChunk(
        of source: AudioSource, raw: RawAudioFormat? = nil, chunkSeconds: Double,
        _ body: (SpeechFeatures) -> Void
    ) throws(FeatureError) -> (chunks: Int, duration: Double, sourceSampleRate: Int) {
        let decoder: AudioDecoder
        do { decoder = try AudioDecoder(source, raw: raw) } catch { throw .audio(error) }
        let name = decoder.name
        let rate = options.framing.sampleRate
        let chunkFrames = max(1, Int(chunkSeconds * 1000 / options.framing.frameShiftMs))
        var framer = Framer(transform: transform)
        var chunks = 0, totalSamples = 0, analysed = 0
        func emit(_ f: Framer) {
            let feats: SpeechFeatures
            do {
                feats = try f.finish(name: name, sourceRate: decoder.info.sampleRate, sourceChannels: decoder.info.channels)
            } catch {
                // A silent or too-short chunk is skipped; the file fails only if every chunk did.
                return
            }
            chunks += 1
            body(feats)
        }
        try stream(decoder) { samples in
            totalSamples += samples.count
            framer.push(samples)
            if framer.frameCount >= chunkFrames {
                analysed += framer.frameCount
                let carry = framer.pending
                emit(framer)
                framer = Framer(transform: transform)
                framer.push(carry)
            }
        }
        analysed += framer.frameCount
        if framer.frameCount > 0 || chunks == 0 { emit(framer) }
        let duration = Double(totalSamples) / Double(rate)
        if chunks == 0 {
            if analysed == 0 {
                throw FeatureError.tooShort(name, seconds: duration, frameSeconds: Double(options.framing.frameLength) / Double(rate))
            }
            throw FeatureError.noSpeech(name, frames: analysed)
        }
        return (chunks, duration, decoder.info.sampleRate)
    }

    /// Duration, rates, frames and the frames the VAD would keep, streaming `source` and
    /// keeping only each frame's power (8 bytes per frame), so a 10-hour file needs about
    /// 30 MB. Silent or too-short audio is summarised (no speech frames), not refused.
    public func summary(of source: AudioSource, raw: RawAudioFormat? = nil) throws(FeatureError) -> AudioSummary {
        let decoder: AudioDecoder
        do { decoder = try AudioDecoder(source, raw: raw) } catch { throw .audio(error) }
        let framer = Framer(transform: transform, keepFeatures: false)
        try stream(decoder) { framer.push($0) }
        let kept = VoiceActivity.speechFrames(powerDB: framer.framePowerDB, options: options.vad).count
        return AudioSummary(
            name: decoder.name, duration: Double(framer.sampleCount) / Double(options.framing.sampleRate),
            sourceSampleRate: decoder.info.sampleRate, sourceChannels: decoder.info.channels,
            frames: framer.frameCount, speechFrames: kept)
    }

    /// Computes the speech frames of samples already at the front end's rate.
    public func features(samples: [Float], name: String = "samples") throws(FeatureError) -> SpeechFeatures {
        let framer = Framer(transform: transform)
        framer.push(samples)
        return try framer.finish(name: name, sourceRate: options.framing.sampleRate, sourceChannels: 1)
    }

    /// Static and dynamic features of every frame of `samples`, before the VAD (for tests and
    /// for tools that want all frames), with each frame's mean power in dBFS.
    public func allFrames(samples: [Float]) -> (features: FeatureMatrix, powerDB: [Double]) {
        let framer = Framer(transform: transform)
        framer.push(samples)
        return framer.allFrames()
    }

    /// The normalised form of `frames` (CMN, CMVN or warping as configured).
    public func normalized(_ frames: FeatureMatrix) -> FeatureMatrix {
        Normalizer.apply(options.normalization, to: frames, frameShiftMs: options.framing.frameShiftMs)
    }
}

/// Cuts a stream of samples into overlapping frames and analyses each as soon as it is
/// complete, so only one frame's worth of samples is ever buffered.
final class Framer {
    private let analyzer: CepstralAnalyzer
    private let length: Int, shift: Int, staticDim: Int
    /// Samples received but not yet consumed by a frame (fewer than one frame's worth plus a hop).
    private(set) var pending: [Float] = []
    /// `pending` and the first samples of a block, for the frames that straddle the two.
    private var stitch: [Float] = []
    private var statics: FeatureMatrix
    private var power: [Double] = []
    private var samples = 0

    /// Whether the features are kept, or only each frame's power (for summaries of long files).
    private let keepFeatures: Bool
    private var scratch: FeatureMatrix

    /// Frames analysed so far.
    var frameCount: Int { power.count }

    init(transform: CepstralTransform, keepFeatures: Bool = true) {
        analyzer = CepstralAnalyzer(transform)
        length = transform.options.framing.frameLength
        shift = transform.options.framing.frameShift
        staticDim = transform.options.staticDimension
        statics = FeatureMatrix(columns: staticDim)
        scratch = FeatureMatrix(columns: staticDim)
        self.keepFeatures = keepFeatures
        precondition(shift <= length, "Framer: frame shift longer than the frame (FrontEndOptions.validate refuses it)")
    }

    /// Analyses every frame that `block` completes. Frames that start in `pending` are read from
    /// a copy of it followed by the block's first samples (less than two frames' worth); the rest
    /// straight from the block, which is not copied. What the next frames need is kept.
    func push(_ block: [Float]) {
        samples += block.count
        let held = pending.count, total = held + block.count
        let available = total >= length ? (total - length) / shift + 1 : 0
        if available == 0 {
            pending.append(contentsOf: block)
            return
        }
        let firstPower = power.count
        power.append(contentsOf: repeatElement(0, count: available))
        if !keepFeatures && scratch.rows < available { _ = scratch.appendZeroRows(available - scratch.rows) }
        let first = keepFeatures ? statics.appendZeroRows(available) : 0
        // Frames 0..<straddling start in `pending` (frame i starts at i * shift, counted from its first sample).
        let straddling = min(available, (held + shift - 1) / shift)
        if straddling > 0 {
            let reach = max(0, min(block.count, (straddling - 1) * shift + length - held))
            stitch.removeAll(keepingCapacity: true)
            stitch.append(contentsOf: pending)
            stitch.append(contentsOf: block[0..<reach])
        }
        func run(_ out: UnsafeMutableBufferPointer<Float>) {
            guard let o = out.baseAddress else { return }
            power.withUnsafeMutableBufferPointer { db in
                guard let p = db.baseAddress else { return }
                stitch.withUnsafeBufferPointer { st in
                    block.withUnsafeBufferPointer { b in
                        // Either buffer may be empty only when none of its frames is read.
                        guard let s = st.baseAddress ?? b.baseAddress, let bs = b.baseAddress ?? st.baseAddress else { return }
                        let rest = available - straddling
                        analyzer.analyze(
                            head: s, headCount: straddling, rest > 0 ? bs + (straddling * shift - held) : bs,
                            count: rest, shift: shift, out: o + first * staticDim, powerDB: p + firstPower)
                    }
                }
            }
        }
        if keepFeatures { statics.withUnsafeMutableValues(run) } else { scratch.withUnsafeMutableValues(run) }
        // Keep the samples from the next frame's start on (fewer than one frame's worth).
        let next = available * shift
        if next >= held {
            pending.removeAll(keepingCapacity: true)
            pending.append(contentsOf: block[(next - held)...])
        } else {
            pending.removeFirst(next)
            pending.append(contentsOf: block)
        }
    }

    /// Samples received so far.
    var sampleCount: Int { samples }

    /// The static features and powers of the frames analysed since the last call, handed over
    /// and forgotten, so a stream of any length holds only one block of frames (speaker
    /// tracking). `frameCount` then counts the frames not yet taken.
    func takeNewFrames() -> (statics: FeatureMatrix, powerDB: [Double]) {
        defer {
            statics = FeatureMatrix(columns: staticDim)
            power.removeAll(keepingCapacity: true)
        }
        return (statics, power)
    }

    /// Each analysed frame's mean power in dBFS.
    var framePowerDB: [Double] { power }

    func allFrames() -> (features: FeatureMatrix, powerDB: [Double]) {
        let d = analyzer.t.options.deltas
        return (Deltas.append(to: statics, order: d.order, window: d.window), power)
    }

    func finish(name: String, sourceRate: Int, sourceChannels: Int) throws(FeatureError) -> SpeechFeatures {
        let o = analyzer.t.options
        let rate = Double(o.framing.sampleRate)
        if statics.rows == 0 {
            throw .tooShort(name, seconds: Double(samples) / rate, frameSeconds: Double(length) / rate)
        }
        precondition(keepFeatures, "Framer.finish: features were not kept")
        let (all, db) = allFrames()
        let keep = VoiceActivity.speechFrames(powerDB: db, options: o.vad)
        if keep.isEmpty { throw .noSpeech(name, frames: all.rows) }
        var features = SpeechFeatures(
            name: name, frames: all.selecting(keep), totalFrames: all.rows,
            duration: Double(samples) / rate, sourceSampleRate: sourceRate,
            sourceChannels: sourceChannels)
        features.speechFrameIndices = keep
        return features
    }
}

/// Energy speech-activity detection: keep frames within `thresholdDB` of the loudest frame and
/// above the absolute floor.
public enum VoiceActivity {
    /// Indices of the frames kept, from each frame's mean power in dBFS.
    public static func speechFrames(powerDB: [Double], options: VADOptions) -> [Int] {
        let finite = powerDB.filter { $0.isFinite }
        if !options.enabled {
            // Still refuse digital silence: it carries nothing and has no valid log spectrum.
            return finite.isEmpty ? [] : Array(powerDB.indices)
        }
        guard let loudest = finite.max() else { return [] }
        let cut = max(loudest - options.thresholdDB, options.floorDB)
        return powerDB.indices.filter { powerDB[$0] >= cut }
    }
}
