import ArgumentParser
import Foundation
import SpeakerID

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print what a model file holds.")

    @Argument(help: "Model files (.gmm).")
    var models: [String]
    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        for path in models {
            let m = try ModelStore.load(path: path)
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            let fe = try JSONSerialization.jsonObject(with: enc.encode(m.frontEnd))
            let tr = try JSONSerialization.jsonObject(with: enc.encode(m.training))
            if json {
                print(SpeakerIDCLI.json(["file": path, "speaker": m.speaker, "components": m.gmm.components,
                                         "dimension": m.gmm.dimension, "front_end": fe, "training": tr]))
            } else {
                let t = m.training
                print("""
                \(path)
                  speaker:     \(m.speaker)
                  model:       diagonal GMM, \(m.gmm.components) components, dimension \(m.gmm.dimension)
                  trained on:  \(t.files) file(s), \(t.frames) speech frames (\(fmt(t.speechSeconds, 1)) s)
                  EM:          \(t.iterations) iterations, \(t.converged ? "converged" : "stopped at the limit"), final average log-likelihood \(fmt(t.finalLogLikelihood, 4)), seed \(t.seed)
                  written by:  SpeakerID \(t.toolVersion)
                  front end:   \(SpeakerIDCLI.json(fe))
                """)
            }
        }
    }
}
