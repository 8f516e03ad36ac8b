import ArgumentParser
import SpeakerID

extension ScoringSystem: ExpressibleByArgument {}

/// Which scoring system a command uses, and the encoder the d-vector system needs.
struct SystemArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Scoring system: gmm (the default); dvector (the speaker encoder's cosine to each speaker's d-vector; the models must have been enrolled with the encoder); fusion (both, their calibrated LLRs fused by a calibration of `speakerid calibrate --system fusion`).",
            valueName: "system"))
    var system: ScoringSystem = .gmm
    @OptionGroup var encoderOptions: EncoderArguments
}
