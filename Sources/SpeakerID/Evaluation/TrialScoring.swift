/// Scoring a file's trials: the whole file, and every consecutive, non-overlapping run of S
/// seconds of its speech frames (the remainder dropped) for each segment length S.
extension Evaluator {
    /// Speech frames in a segment of `seconds`.
    public func segmentFrames(_ seconds: Double) -> Int {
        max(1, Int((seconds * 1000 / identifier.frontEnd.options.framing.frameShiftMs).rounded()))
    }

    /// Scores every trial of `files` against `id` (and the cohort models for T-norm).
    func trials(_ files: [(speaker: TrueSpeaker, source: AudioSource)], id: Identifier, counter: ProgressCounter?) async throws -> [FileTrials] {
        let lengths = segmentSeconds.map(segmentFrames)
        let segmentNorm = segmentNormalization
        let raw = self.raw
        let skip = skipBad
        let cohort = scoreNormalization.usesTNorm ? cohortModels : nil
        let dvector = self.dvector, system = self.system
        return try await parallelMap(count: files.count, threads: threads) { i -> FileTrials in
            let (speaker, source) = files[i]
            let path = source.description
            defer { counter?.tick() }
            let feats: SpeechFeatures
            do { feats = try id.frontEnd.features(of: source, raw: raw) } catch {
                if skip { return FileTrials(speaker: speaker, trials: [], error: "\(error)", path: path) }
                throw error
            }
            let normalized = id.frontEnd.normalized(feats.frames)
            // Per-frame scores computed once: with file-level normalisation a segment's score
            // is the mean over its frames.
            let perFrame = id.frameScores(normalized)
            let cohortFrames = cohort?.frameScores(normalized)
            func mean(_ rows: [[Double]], _ r: Range<Int>) -> [Double] {
                rows.map { f in f[r].reduce(0, +) / Double(r.count) }
            }
            var out = [
                FileTrials.Trial(
                    length: .wholeFile, scores: mean(perFrame, 0..<normalized.rows),
                    cohort: cohortFrames.map { mean($0, 0..<normalized.rows) }, frames: normalized.rows)
            ]
            for (j, n) in lengths.enumerated() {
                for s in stride(from: 0, through: feats.frames.rows - n, by: n) {
                    switch segmentNorm {
                    case .file:
                        out.append(
                            .init(
                                length: .segment(index: j), scores: mean(perFrame, s..<(s + n)),
                                cohort: cohortFrames.map { mean($0, s..<(s + n)) }, start: s, frames: n))
                    case .segment:
                        let seg = id.frontEnd.normalized(feats.frames.slice(s..<(s + n)))
                        out.append(.init(length: .segment(index: j), scores: id.scores(seg), cohort: cohort?.scores(seg), start: s, frames: n))
                    }
                }
            }
            let options = id.frontEnd.options
            if let dvector {
                do throws(EncoderError) {
                    try Self.addDVectorScores(
                        &out, scorer: dvector, source: source, raw: raw, features: feats,
                        frameShiftSeconds: options.framing.frameShiftMs / 1000)
                } catch {
                    if skip { return FileTrials(speaker: speaker, trials: [], error: "\(error)", path: path) }
                    throw error
                }
                if system == .dvector {
                    for k in out.indices {
                        out[k].scores = out[k].dvectorScores ?? out[k].scores
                        out[k].cohort = nil
                    }
                }
            }
            return FileTrials(
                speaker: speaker, trials: out, error: nil, path: path,
                narrowBandRate: options.lacksBand(sourceRate: feats.sourceSampleRate) ? feats.sourceSampleRate : nil)
        }
    }

    /// The d-vector system's scores of a file's trials: the whole file embedded as identify
    /// embeds it; each segment from the 16-kHz audio of its speech frames (one frame shift of
    /// audio from each frame's start), level-normalised and not trimmed again, so both systems
    /// score the same speech.
    static func addDVectorScores(
        _ trials: inout [FileTrials.Trial], scorer: DVectorScorer, source: AudioSource, raw: RawAudioFormat?,
        features: SpeechFeatures, frameShiftSeconds: Double
    ) throws(EncoderError) {
        let (samples, name) = try SpeakerEncoder.waveform(of: source, raw: raw)
        let whole = try scorer.encoder.embedding(ofSamples: samples, name: name)
        let indices = features.speechFrameIndices ?? []
        let hop = Int((frameShiftSeconds * Double(SpeakerEncoder.sampleRate)).rounded())
        var untrimmed = EncoderPreprocessing()
        untrimmed.trimSilence = false
        for k in trials.indices {
            if trials[k].length == .wholeFile || indices.isEmpty {
                trials[k].dvectorScores = scorer.scores(whole)
                continue
            }
            let first = trials[k].start, last = min(indices.count, trials[k].start + trials[k].frames)
            var audio: [Float] = []
            audio.reserveCapacity((last - first) * hop)
            for f in indices[first..<last] {
                let a = f * hop
                if a < samples.count { audio += samples[a..<min(a + hop, samples.count)] }
            }
            let e = try scorer.encoder.embedding(ofSamples: audio, name: name, preprocessing: untrimmed)
            trials[k].dvectorScores = scorer.scores(e)
        }
    }
}
