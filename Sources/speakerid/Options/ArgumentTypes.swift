import ArgumentParser
import Foundation
import SpeakerID

// The library's option types as command-line values: parsed and refused by the argument
// parser, with the valid values listed in --help and in its error, not by hand.

extension EnergyTerm: ExpressibleByArgument {}
extension NormalizationMode: ExpressibleByArgument {}
extension Resampler.Quality: ExpressibleByArgument {}
extension SegmentNormalization: ExpressibleByArgument {}
extension ThresholdRule: ExpressibleByArgument {}
extension CalibrationQuality: ExpressibleByArgument {}
extension ScoreNormalizationMode: ExpressibleByArgument {}

/// `--components K|auto`.
enum ComponentsArgument: ExpressibleByArgument, Equatable {
    case automatic
    case fixed(Int)

    init?(argument: String) {
        if argument == "auto" {
            self = .automatic
            return
        }
        guard let k = Int(argument) else { return nil }
        self = .fixed(k)
    }

    static var defaultCompletionKind: CompletionKind { .list(["auto"]) }
}

/// `--adapt` letters: m (means), w (weights), v (variances).
extension MAPAdaptation.Parameters: ExpressibleByArgument {
    public init?(argument: String) {
        guard !argument.isEmpty, argument.allSatisfy({ "mwv".contains($0) }) else { return nil }
        self = []
        if argument.contains("m") { insert(.means) }
        if argument.contains("w") { insert(.weights) }
        if argument.contains("v") { insert(.variances) }
    }
}

/// `--raw RATE[:ENCODING[:CHANNELS]]`.
extension RawAudioFormat: ExpressibleByArgument {
    public init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count), let rate = Int(parts[0]), rate > 0 else { return nil }
        self.init(sampleRate: rate)
        if parts.count >= 2 {
            guard let e = Encoding(rawValue: parts[1]) else { return nil }
            encoding = e
        }
        if parts.count == 3 {
            guard let c = Int(parts[2]), (1...64).contains(c) else { return nil }
            channels = c
        }
    }
}

/// `DIR[:SPLIT]` (`CorpusSpec`) as an option's value.
extension CorpusSpec: ExpressibleByArgument {
    public init(argument: String) { self.init(parsing: argument) }
}
