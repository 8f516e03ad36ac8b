import ArgumentParser
import Foundation
import SpeakerID

extension TrackCommand {
    func runStream(_ s: Setup) async throws {
        throw CLIError("not yet")
    }
}
