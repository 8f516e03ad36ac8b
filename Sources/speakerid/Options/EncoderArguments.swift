import ArgumentParser
import SpeakerID

/// The neural speaker encoder a command uses for d-vectors.
struct EncoderArguments: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The speaker encoder file (default: $SPEAKERID_ENCODER, else ~/.local/share/speakerid/\(EncoderFile.defaultFileName); `speakerid encoder fetch` makes it).",
            valueName: "file"))
    var encoder: String?

    /// The encoder named by --encoder (which must load), else the one at the default location,
    /// else nil: `required` makes a missing default an error too.
    func load(required: Bool) throws -> SpeakerEncoder? {
        if let encoder { return try SpeakerEncoder.load(path: encoder) }
        guard let path = EncoderFile.defaultPath(), FileSystem.exists(path) else {
            if required {
                throw CLIError(
                    "no speaker encoder at \(EncoderFile.defaultPath() ?? "its default place"): run `speakerid encoder fetch`, or name one with --encoder"
                )
            }
            return nil
        }
        return try SpeakerEncoder.load(path: path)
    }
}
