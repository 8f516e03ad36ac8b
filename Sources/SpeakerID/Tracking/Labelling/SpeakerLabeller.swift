import Foundation

/// A stretch of a recording whose speaker is to be named: a transcript's cue or a
/// diarization's turn, with the anonymous speaker (cluster) it is given to, if any.
public struct SpeechTurn: Sendable, Equatable {
    public var start: Double
    public var end: Double
    /// The anonymous speaker the turn belongs to (`SPEAKER_00`), if the file says.
    public var cluster: String?
    /// Where the turn is in its file (1-based line), for messages.
    public var line: Int

    /// A turn from `start` to `end` seconds, of the anonymous speaker `cluster` if given.
    public init(start: Double, end: Double, cluster: String? = nil, line: Int = 0) {
        self.start = start
        self.end = end
        self.cluster = cluster
        self.line = line
    }

    /// Each turn of `turns` given the anonymous speaker of `diarization` it overlaps most
    /// (the first of equals); a turn no diarization turn overlaps keeps none.
    public static func clusters(of turns: [SpeechTurn], from diarization: [SpeechTurn]) -> [SpeechTurn] {
        let sorted = diarization.filter { $0.cluster != nil }.sorted { $0.start < $1.start }
        return turns.map { t in
            var overlap: [String: Double] = [:]
            var order: [String] = []
            for d in sorted {
                if d.start >= t.end { break }
                let o = min(t.end, d.end) - max(t.start, d.start)
                guard o > 0, let c = d.cluster else { continue }
                if overlap[c] == nil { order.append(c) }
                overlap[c, default: 0] += o
            }
            var out = t
            var best: String?
            for c in order where best == nil || (overlap[c] ?? 0) > (overlap[best ?? ""] ?? 0) { best = c }
            out.cluster = best
            return out
        }
    }
}

/// A decision on a turn or an anonymous speaker, with the figures it was made on.
public struct TurnDecision: Sendable, Equatable {
    /// `accepted` (an enrolled speaker named), `rejected` (unknown) or `tooShort` (less speech
    /// than the rule's minimum: no decision).
    public var outcome: DecisionOutcome
    /// The enrolled speaker named; nil when rejected or too short.
    public var speaker: String?
    /// The speaker with the highest calibrated LLR, named or not.
    public var bestSpeaker: String?
    /// The calibrated LLR decided on: the named speaker's, else the best speaker's.
    public var llr: Double?
    /// Seconds of speech behind it.
    public var speechSeconds: Double
    /// Every enrolled speaker's calibrated LLR, in model order (empty when too short).
    public var llrs: [Double]
    /// For an anonymous speaker: each enrolled speaker's open-set identification LLR
    /// (`OpenSetIdentification`), which the naming decides on; empty for a turn decided alone.
    public var openSetLLRs: [Double] = []

    /// The open-set identification LLR of the named speaker, else of the best one.
    public var openSetLLR: Double? = nil
}

/// Names the speakers of turns someone else found (a transcript's cues, a diarization's turns):
/// each turn, or each anonymous speaker as a whole, gets an enrolled speaker or unknown, by the
/// calibrated LLRs of one scoring system (`gmm`, `dvector` or `fusion`) decided by a rule.
/// Turns are scored as clips (each normalised and voice-detected on its own, as the
/// calibration's trials were); an anonymous speaker is decided on the sum of its turns'
/// evidence (`SpeechEvidence`).
public struct SpeakerLabeller: Sendable {
    public let system: ScoringSystem
    /// The enrolled speakers, in model order.
    public let speakers: [String]
    /// The rule the calibrated LLRs are decided by (a threshold, and the minimum speech).
    public let rule: DecisionRule
    let calibration: Calibration
    let gmm: ClipScorer?
    let dvector: DVectorScorer?
    let enrolSeconds: [Double]

    /// A labeller of `models` (from the folder `folder`, named in messages) by `system`, whose
    /// scores `calibration` maps to LLRs (a calibration of that system, for this UBM, front end
    /// and encoder); `rule` decides the LLRs (`DecisionRule.onCalibratedLLRs`). The GMM and
    /// fusion systems need the UBM, the d-vector and fusion systems the encoder.
    public init(
        system: ScoringSystem, models: [SpeakerModel], ubm: SpeakerModel?, encoder: SpeakerEncoder?, calibration: Calibration,
        rule: DecisionRule, folder: String, topC: Int = 5
    ) throws {
        guard let first = models.first else { throw ScoringError.noModels }
        if let reserved = models.map(\.speaker).first(where: SpeakerName.isUnknownLabel) {
            throw ScoringError.modelsIncompatible("\(folder): \(TrackingError.reservedName(reserved))")
        }
        if system != .dvector && ubm == nil {
            throw ScoringError.modelsIncompatible("the \(system.rawValue) system scores log-likelihood ratios against the UBM; none was given")
        }
        if system != .gmm && encoder == nil {
            throw ScoringError.modelsIncompatible("the \(system.rawValue) system needs the speaker encoder; none was given")
        }
        try calibration.check(
            ubmChecksum: system == .dvector ? nil : ubm?.checksumHex, frontEnd: first.frontEnd, scoreNormalization: .none, system: system,
            encoder: system == .gmm ? nil : encoder?.identity.checksum, what: "the models in \(folder)")
        self.system = system
        speakers = models.map(\.speaker)
        self.rule = rule
        self.calibration = calibration
        gmm = system == .dvector ? nil : try ClipScorer(models: models, ubm: ubm, topC: topC)
        if system != .gmm, let encoder {
            dvector = try DVectorScorer(encoder: encoder, models: models, folder: folder)
        } else {
            dvector = nil
        }
        enrolSeconds = models.map(\.training.speechSeconds)
    }

    /// The evidence of one stretch of audio (a `.segment` of the recording, usually).
    public func evidence(of source: AudioSource, raw: RawAudioFormat? = nil) throws -> SpeechEvidence {
        var e = SpeechEvidence.none
        if let gmm {
            let r = try gmm.scores(source, raw: raw)
            e.gmmScoreSums = r.raw.map { $0 * Double(r.speechFrames) }
            e.frames = r.speechFrames
            e.gmmSeconds = Double(r.speechFrames) * gmm.frontEnd.options.framing.frameShiftMs / 1000
        }
        if let dvector {
            let (samples, _) = try SpeakerEncoder.waveform(of: source, raw: raw)
            let w = dvector.encoder.windowEmbeddings(of: samples)
            if let firstWindow = w.windows.first {
                var sum = [Double](repeating: 0, count: firstWindow.count)
                for v in w.windows { for i in v.indices { sum[i] += Double(v[i]) } }
                e.windowSum = sum
                e.windows = w.windows.count
                e.encoderSeconds = w.seconds
            }
        }
        return e
    }

    /// Every turn's evidence, in order, from `audio` (at most `threads` turns at once). Refuses,
    /// naming the file and the turn's line, a turn that ends after the recording (beyond
    /// `tolerance` seconds: subtitles often end a few milliseconds late).
    public func evidence(
        of turns: [SpeechTurn], in audio: String, turnsFile: String, raw: RawAudioFormat? = nil, threads: Int = 1, tolerance: Double = 0.1
    ) async throws -> [SpeechEvidence] {
        let duration = try AudioDecoder(path: audio, raw: raw).info.duration
        if let late = turns.first(where: { $0.end > duration + tolerance }) {
            throw LabellingError.pastTheAudio(turnsFile, line: late.line, end: late.end, audio: audio, duration: duration)
        }
        return try await parallelMap(count: turns.count, threads: threads) { i in
            let t = turns[i]
            let name = "\(audio) [\(Transcript.clock(t.start)) - \(Transcript.clock(t.end))]"
            return try evidence(of: .segment(audio, start: t.start, end: min(t.end, duration), name: name), raw: raw)
        }
    }

    /// Seconds of speech behind `evidence`, as the system's calibration counts them.
    public func speechSeconds(_ evidence: SpeechEvidence) -> Double {
        system == .dvector ? evidence.encoderSeconds : evidence.gmmSeconds
    }

    /// Every speaker's calibrated LLR given `evidence`, in model order; nil when the system has
    /// nothing to score (no speech frames, or no encoder window).
    public func llrs(_ evidence: SpeechEvidence) -> [Double]? {
        let seconds = speechSeconds(evidence)
        let cosines: [Double]?
        if let dvector {
            guard let v = evidence.embedding else { return nil }
            cosines = dvector.scores(
                SpeakerEmbedding(vector: v, speechSeconds: evidence.encoderSeconds, windows: evidence.windows, encoder: dvector.encoder.identity))
        } else {
            cosines = nil
        }
        let scores = evidence.gmmScores
        if gmm != nil && scores == nil { return nil }
        if dvector != nil && cosines == nil { return nil }
        return calibration.llrs(gmmScores: scores, cosines: cosines, testSeconds: seconds, enrolSeconds: enrolSeconds)
    }

    /// The decision on one stretch (or a pool of them): the best speaker named when their LLR
    /// reaches the rule's threshold, unknown when it does not, no decision with less speech
    /// than the rule's minimum.
    public func decide(_ evidence: SpeechEvidence) -> TurnDecision {
        let seconds = speechSeconds(evidence)
        guard seconds >= rule.minimumSpeechSeconds, seconds > 0, let llrs = llrs(evidence) else {
            return TurnDecision(outcome: .tooShort, speaker: nil, bestSpeaker: nil, llr: nil, speechSeconds: seconds, llrs: [])
        }
        let best = Identifier.best(llrs)
        let accepted = llrs[best] >= (rule.threshold ?? -.infinity)
        return TurnDecision(
            outcome: accepted ? .accepted : .rejected, speaker: accepted ? speakers[best] : nil, bestSpeaker: speakers[best],
            llr: llrs[best], speechSeconds: seconds, llrs: llrs)
    }
}

/// Turns that cannot be labelled, named by file and line.
public enum LabellingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A turn of `file` (line `line`) ends at `end` s, after the recording `audio` (`duration` s).
    case pastTheAudio(String, line: Int, end: Double, audio: String, duration: Double)
    /// A diarization turn (line `line` of `file`) of another recording than the audio's.
    case otherRecording(String, line: Int, recording: String, expected: String)
    /// A diarization turn of zero length.
    case emptyTurn(String, line: Int)
    /// A diarization with no turn of the recording.
    case noTurns(String)

    public var description: String {
        switch self {
        case .pastTheAudio(let f, let line, let end, let audio, let duration):
            return
                "\(f):\(line): the turn ends at \(Transcript.clock(end)), after the end of \(audio) (\(Transcript.clock(duration))); is this the transcript of another recording?"
        case .otherRecording(let f, let line, let recording, let expected):
            return
                "\(f):\(line): a turn of recording \(recording.debugDescription), not of the audio given (\(expected.debugDescription)); give the RTTM of this recording"
        case .emptyTurn(let f, let line): return "\(f):\(line): a turn of zero length"
        case .noTurns(let f): return "\(f): no SPEAKER turns"
        }
    }
}

extension SpeechTurn {
    /// The turns of an RTTM diarization (`name` for messages) of the recording `recording` (its
    /// RTTM file id, `RTTM.fileID` of the audio), each with its speaker as the cluster; refuses
    /// a turn of another recording or of zero length, and a file with no turn.
    public static func diarization(_ text: String, name: String, recording: String) throws -> [SpeechTurn] {
        let numbered = try RTTM.parseNumbered(text, name: name)
        guard !numbered.isEmpty else { throw LabellingError.noTurns(name) }
        return try numbered.map { s, line in
            guard s.file == recording else {
                throw LabellingError.otherRecording(name, line: line, recording: s.file, expected: recording)
            }
            guard s.duration > 0 else { throw LabellingError.emptyTurn(name, line: line) }
            return SpeechTurn(start: s.start, end: s.end, cluster: s.label, line: line)
        }
    }
}
