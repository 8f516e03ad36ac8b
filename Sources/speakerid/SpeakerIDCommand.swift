import ArgumentParser
import Foundation
import SpeakerID

struct SpeakerIDCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speakerid",
        abstract: "Speaker identification with MFCC features and Gaussian mixture models.",
        discussion: """
            Exit status: 0 on success, 1 when the work failed (bad audio, bad model, ...; one line \
            on standard error says what and where), 64 for a usage error.
            """,
        version: SpeakerIDVersion.current,
        subcommands: [
            FeaturesCommand.self, EncoderCommand.self, EnrollCommand.self, IdentifyCommand.self, VerifyCommand.self, EvaluateCommand.self,
            CalibrateCommand.self,
            TrackCommand.self, EvaluateTrackingCommand.self, LabelCommand.self,
            InfoCommand.self, SpeakersCommand.self, TrainUBMCommand.self,
            InitUBMCommand.self, AccumulateCommand.self, SumStatsCommand.self, UpdateCommand.self, ClusterCommand.self, ScoreReportCommand.self,
        ]
    )

    /// `speakerid` alone is a usage error: the help goes to standard error, exit 64.
    func run() async throws {
        FileHandle.standardError.write(Data((Self.helpMessage() + "\n").utf8))
        throw ExitCode(64)
    }
}
