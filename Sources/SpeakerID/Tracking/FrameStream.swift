/// Frames of one stream of audio, analysed as the samples arrive and handed on in blocks, so
/// a recording of any length (or an endless stream) holds only a block of frames at a time.
///
/// Each block holds every analysed frame (static features, their deltas, and mean power in
/// dBFS) in time order, before speech detection and normalisation. The deltas are exactly
/// those `FrontEnd` computes over a whole recording: a frame is handed on once the frames
/// its regression window needs have arrived (order x window frames later), and the first and
/// last frames of the stream are repeated at its edges.
final class FrameStream {
    /// Frames handed on by one `push` or `finish`: indices `first ..< first + powerDB.count`.
    struct Block {
        var first: Int
        var features: FeatureMatrix
        var powerDB: [Double]
        var count: Int { powerDB.count }
    }

    let options: FrontEndOptions
    private let framer: Framer
    private let resampler: Resampler?
    /// Static features and powers not yet handed on, plus the frames before them that the
    /// deltas of the next frames need; row 0 is frame `bufferStart`.
    private var statics: FeatureMatrix
    private var powers: [Double] = []
    private var bufferStart = 0
    /// The next frame to hand on.
    private(set) var nextFrame = 0
    private let context: Int
    private var converted: [Float] = []
    /// Samples received at the source's rate.
    private(set) var sourceSamples = 0

    /// A stream of audio at `sourceRate` Hz for `frontEnd` (resampled to its rate when they differ).
    init(frontEnd: FrontEnd, sourceRate: Int, name: String) throws(AudioError) {
        options = frontEnd.options
        framer = Framer(transform: frontEnd.transform)
        resampler =
            sourceRate == options.framing.sampleRate
            ? nil
            : try Resampler(from: sourceRate, to: options.framing.sampleRate, quality: options.resampleQuality, name: name)
        statics = FeatureMatrix(columns: options.staticDimension)
        context = options.deltas.order * options.deltas.window
    }

    /// Frames analysed so far (handed on or not).
    var analysedFrames: Int { bufferStart + powers.count }

    /// Seconds of audio received (at the source's rate, so exact however it is resampled).
    func seconds(sourceRate: Int) -> Double { Double(sourceSamples) / Double(sourceRate) }

    /// Adds samples at the source's rate; returns the frames now complete.
    func push(_ samples: [Float]) throws(AudioError) -> Block {
        sourceSamples += samples.count
        if let resampler {
            try resampler.process(samples, last: false, into: &converted)
            framer.push(converted)
        } else {
            framer.push(samples)
        }
        return take(final: false)
    }

    /// Ends the stream: returns the remaining frames.
    func finish() throws(AudioError) -> Block {
        if let resampler {
            try resampler.process([], last: true, into: &converted)
            framer.push(converted)
        }
        return take(final: true)
    }

    private func take(final: Bool) -> Block {
        let (newStatics, newPower) = framer.takeNewFrames()
        statics.append(newStatics)
        powers.append(contentsOf: newPower)
        let available = bufferStart + powers.count
        let upTo = final ? available : available - context
        let dimension = options.dimension
        guard upTo > nextFrame else { return Block(first: nextFrame, features: FeatureMatrix(columns: dimension), powerDB: []) }
        let all = Deltas.append(to: statics, order: options.deltas.order, window: options.deltas.window)
        let rows = (nextFrame - bufferStart)..<(upTo - bufferStart)
        let block = Block(first: nextFrame, features: all.slice(rows), powerDB: Array(powers[rows]))
        nextFrame = upTo
        // Keep the frames the next deltas need.
        let keepFrom = max(bufferStart, upTo - context)
        let drop = keepFrom - bufferStart
        if drop > 0 {
            statics = statics.slice(drop..<statics.rows)
            powers.removeFirst(drop)
            bufferStart = keepFrom
        }
        return block
    }
}
