import ArgumentParser
import Foundation
import SpeakerID

struct ScoreReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "score-report", abstract: "placeholder")
    func run() throws {}
}
