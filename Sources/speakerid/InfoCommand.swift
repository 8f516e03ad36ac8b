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
        var failed = 0
        for path in models {
            let m: SpeakerModel
            do { m = try ModelStore.load(path: path) } catch {
                Console.warn("\(error)")
                if json { print(SpeakerIDCLI.json(["file": path, "error": "\(error)"])) }
                failed += 1
                continue
            }
            let enc = SpeakerIDCLI.snakeCaseEncoder()
            let fe = try JSONSerialization.jsonObject(with: enc.encode(m.frontEnd))
            let tr = try JSONSerialization.jsonObject(with: enc.encode(m.training))
            let kind = m.kind == .ubm ? "ubm" : m.ubm != nil ? "map_adapted" : "em"
            if json {
                var o: [String: Any] = ["file": path, "kind": kind, "components": m.gmm.components,
                                        "dimension": m.gmm.dimension, "front_end": fe, "training": tr,
                                        "checksum": m.checksumHex]
                if m.kind == .speaker { o["speaker"] = m.speaker }
                if let u = m.ubm {
                    o["ubm"] = ["checksum": u.checksum, "components": u.components, "relevance": u.relevance,
                                "adapted": Self.adaptedNames(u.adapted)]
                }
                print(SpeakerIDCLI.json(o))
            } else {
                let t = m.training
                var lines = [path]
                switch m.kind {
                case .ubm: lines.append("  kind:        universal background model (train-ubm)")
                case .speaker: lines.append("  speaker:     \(m.speaker)")
                }
                lines.append("  model:       diagonal GMM, \(m.gmm.components) components, dimension \(m.gmm.dimension)")
                lines.append("  checksum:    \(m.checksumHex)")
                lines.append("  trained on:  \(t.files) file(s), \(t.frames) speech frames (\(fmt(t.speechSeconds, 1)) s)")
                if let u = m.ubm {
                    lines.append("  MAP-adapted: from the UBM with checksum \(u.checksum) (\(u.components) components), relevance \(fmt(u.relevance, 3)), adapted \(Self.adaptedNames(u.adapted).joined(separator: ", "))")
                } else if let p = m.emProgress {
                    lines.append("  in training: after \(p.history.count) of at most \(t.em.maxIterations) EM iterations (init-ubm, update); not a finished UBM")
                } else {
                    lines.append("  EM:          \(t.iterations) iterations, \(t.converged ? "converged" : "stopped at the limit"), final average log-likelihood \(fmt(t.finalLogLikelihood, 4)), seed \(t.seed)")
                }
                lines.append("  written by:  SpeakerID \(t.toolVersion)")
                lines.append("  front end:   \(SpeakerIDCLI.json(fe))")
                print(lines.joined(separator: "\n"))
            }
        }
        try finishBatch(failed: failed, total: models.count, skipBad: false, noun: "model file")
    }

    /// "mw" -> ["means", "weights"].
    static func adaptedNames(_ code: String) -> [String] {
        [("m", "means"), ("w", "weights"), ("v", "variances")].filter { code.contains($0.0) }.map(\.1)
    }
}
