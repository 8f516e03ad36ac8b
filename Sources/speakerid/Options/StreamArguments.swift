import ArgumentParser
import Foundation
import SpeakerID

/// `track --stream`: live decisions on one stream.
struct StreamArguments: ParsableArguments {
    @Flag(
        help:
            "Track one stream as it comes: standard input ('-', headerless with --raw RATE[:ENCODING] or WAV) or a file as it grows; a live decision every --hop seconds, segments as they close."
    )
    var stream = false
    @Option(parsing: .unconditional, help: ArgumentHelp("With --stream: seconds between live decisions (default: 0.5).", valueName: "s"))
    var hop: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("With --stream: each live decision is about this much of the newest audio (default: 1).", valueName: "s"))
    var liveWindow: Double?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("With --stream on a file: stop when it has not grown for this long (default: 10).", valueName: "s"))
    var idleTimeout: Double?

    func validate() throws {
        if let h = hop, !(h >= 0.01 && h <= 600) { throw ValidationError("--hop must be 0.01-600 seconds") }
        if let w = liveWindow, !(w >= 0.05 && w <= 600) { throw ValidationError("--live-window must be 0.05-600 seconds") }
        if let t = idleTimeout, !(t > 0 && t <= 86_400) { throw ValidationError("--idle-timeout must be above 0 and at most 86400 seconds") }
    }

    func apply(to o: inout TrackerOptions) {
        if let h = hop { o.hopSeconds = h }
        if let w = liveWindow { o.liveWindowSeconds = w }
    }
}
