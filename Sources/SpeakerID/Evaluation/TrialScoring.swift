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
            var out = [FileTrials.Trial(length: .wholeFile, scores: mean(perFrame, 0..<normalized.rows),
                                        cohort: cohortFrames.map { mean($0, 0..<normalized.rows) }, frames: normalized.rows)]
            for (j, n) in lengths.enumerated() {
                for s in stride(from: 0, through: feats.frames.rows - n, by: n) {
                    switch segmentNorm {
                    case .file:
                        out.append(.init(length: .segment(index: j), scores: mean(perFrame, s..<(s + n)),
                                         cohort: cohortFrames.map { mean($0, s..<(s + n)) }, start: s, frames: n))
                    case .segment:
                        let seg = id.frontEnd.normalized(feats.frames.slice(s..<(s + n)))
                        out.append(.init(length: .segment(index: j), scores: id.scores(seg), cohort: cohort?.scores(seg), start: s, frames: n))
                    }
                }
            }
            let options = id.frontEnd.options
            return FileTrials(speaker: speaker, trials: out, error: nil, path: path,
                              narrowBandRate: options.lacksBand(sourceRate: feats.sourceSampleRate) ? feats.sourceSampleRate : nil)
        }
    }
}
