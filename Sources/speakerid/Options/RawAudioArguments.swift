import ArgumentParser
import SpeakerID

/// How to read headerless audio.
struct RawAudioArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Read every input as headerless audio: RATE[:ENCODING[:CHANNELS]], encoding one of pcm8, pcm16 (default), pcm24, pcm32, float32, ulaw, alaw, gsm610; e.g. 8000:gsm610.",
            valueName: "format"))
    var raw: RawAudioFormat?

    /// The headerless format, if one was given.
    func format() throws -> RawAudioFormat? { raw }
}
