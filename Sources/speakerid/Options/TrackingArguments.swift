import ArgumentParser
import Foundation
import SpeakerID

/// The tracker's settings (`TrackerOptions`), each overriding the documented default.
struct TrackingArguments: ParsableArguments {
    @Flag(help: "Cluster unknown speech into unknown-1, unknown-2, ... (BIC) instead of labelling it all 'unknown'.")
    var clusterUnknown = false
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("A speaker keeps the floor at least this long once the decoder changes to them (default: 1).", valueName: "s"))
    var minTurn: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Cost of a change of speaker inside speech, in summed frame log-likelihood ratios (default: 60).", valueName: "cost"))
    var changePenalty: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Cost of a change of speaker at the first speech after a pause of --min-pause seconds (default: 20).", valueName: "cost"))
    var pausePenalty: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("A pause at least this long makes a change of speaker after it cost --pause-penalty (default: 0.2).", valueName: "s"))
    var minPause: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Cost of a change of speaker where BIC change detection found one (default: 60, the same as inside speech: no gain was measured).",
            valueName: "cost"))
    var changePointPenalty: Double?
    @Option(
        parsing: .unconditional, help: ArgumentHelp("Segments are final this long after the audio: the decoder's lag (default: 10).", valueName: "s"))
    var lag: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Pauses up to this long inside one speaker's turn belong to the segment (default: 2).", valueName: "s"))
    var maxGap: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Segments with less speech than this are left out (default: 0.1).", valueName: "s"))
    var minSegment: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "With --system dvector or fusion, where pauses split segments: each segment is widened this far into the pauses beside it (default: 0.25).",
            valueName: "s"))
    var pad: Double?
    @Option(
        parsing: .unconditional, help: ArgumentHelp("Speech must be this far above the noise level of the last 30 s (default: 6).", valueName: "dB"))
    var snr: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("Speech detection looks this far ahead of each frame (default: 0.1).", valueName: "s"))
    var speechAhead: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Cepstral mean normalisation over the speech from this long before each frame (default: 2).", valueName: "s"))
    var normalizeBack: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("... to this long after it (default: 0.5).", valueName: "s"))
    var normalizeAhead: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("... and not across pauses at least this long; 0 for across any pause (default: 0).", valueName: "s"))
    var normalizeBreak: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Added to the unknown speaker's per-frame score in the decoder: above 0 labels more speech unknown (default: 0).", valueName: "x"))
    var unknownOffset: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("BIC change detection: the two adjacent windows' length (default: 1).", valueName: "s"))
    var changeWindow: Double?
    @Option(parsing: .unconditional, help: ArgumentHelp("BIC change detection: the penalty weight lambda (default: 1).", valueName: "lambda"))
    var changeLambda: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("With --cluster-unknown: the BIC penalty weight lambda; larger merges more (default: 2).", valueName: "lambda"))
    var clusterLambda: Double?
    @Option(
        parsing: .unconditional, help: ArgumentHelp("The decoder's block: speaker changes fall on multiples of it (default: 0.1).", valueName: "s"))
    var step: Double?

    func options() throws -> TrackerOptions {
        var o = TrackerOptions()
        o.clusterUnknown = clusterUnknown
        if let v = minTurn { o.minimumTurnSeconds = v }
        if let v = changePenalty { o.changePenalty = v }
        if let v = pausePenalty { o.pausePenalty = v }
        if let v = minPause { o.pauseSeconds = v }
        if let v = changePointPenalty { o.changePointPenalty = v }
        if let v = lag { o.lagSeconds = v }
        if let v = maxGap { o.maximumGapSeconds = v }
        if let v = minSegment { o.minimumSegmentSpeechSeconds = v }
        if let v = pad { o.paddingSeconds = v }
        if let v = snr { o.speechSNRDB = v }
        if let v = speechAhead { o.speechWindowAheadSeconds = v }
        if let v = normalizeBack { o.normalizationBackSeconds = v }
        if let v = normalizeAhead { o.normalizationAheadSeconds = v }
        if let v = normalizeBreak { o.normalizationBreakSeconds = v }
        if let v = unknownOffset { o.unknownOffset = v }
        if let v = changeWindow { o.changeWindowSeconds = v }
        if let v = changeLambda { o.changeLambda = v }
        if let v = clusterLambda { o.clusterLambda = v }
        if let v = step { o.stepSeconds = v }
        do { try o.validate() } catch { throw ValidationError("\(error)") }
        return o
    }
}
