import ArgumentParser
import Foundation
import SpeakerID

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Print what a model, calibration or statistics file holds.")

    @Argument(help: "Model files (.gmm), calibrations (calibrate --out) or statistics files (accumulate, sum-stats).")
    var models: [String]
    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        var failed = 0
        for path in models {
            let m: SpeakerModel
            do {
                switch Self.kind(ofFileAt: path) {
                case .calibration:
                    try describe(calibration: try Calibration.load(path: path), path: path)
                    continue
                case .statistics:
                    try describe(statistics: try ModelStore.loadStatistics(path: path), path: path)
                    continue
                case .model:
                    m = try ModelStore.load(path: path)
                }
            } catch {
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
                var o: [String: Any] = [
                    "file": path, "kind": kind, "components": m.gmm.components,
                    "dimension": m.gmm.dimension, "front_end": fe, "training": tr,
                    "checksum": m.checksumHex,
                ]
                if m.kind == .speaker { o["speaker"] = m.speaker }
                if let u = m.ubm {
                    o["ubm"] = [
                        "checksum": u.checksum, "components": u.components, "relevance": u.relevance,
                        "adapted": u.adaptedNames,
                    ]
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
                    lines.append(
                        "  MAP-adapted: from the UBM with checksum \(u.checksum) (\(u.components) components), relevance \(fmt(u.relevance, 3)), adapted \(u.adaptedNames.joined(separator: ", "))"
                    )
                } else if let p = m.emProgress {
                    lines.append(
                        "  in training: after \(p.history.count) of at most \(t.em.maxIterations) EM iterations (init-ubm, update); not a finished UBM"
                    )
                } else {
                    lines.append(
                        "  EM:          \(t.iterations) iterations, \(t.converged ? "converged" : "stopped at the limit"), final average log-likelihood \(fmt(t.finalLogLikelihood, 4)), seed \(t.seed)"
                    )
                }
                lines.append("  written by:  SpeakerID \(t.toolVersion)")
                lines.append("  front end:   \(SpeakerIDCLI.json(fe))")
                print(lines.joined(separator: "\n"))
            }
        }
        try finishBatch(failed: failed, total: models.count, skipBad: false, noun: "model file")
    }

    enum FileKind { case model, calibration, statistics }

    /// What a file is, from its first bytes (a model when it is neither of the others, so a
    /// damaged or foreign file gets the model reader's message).
    static func kind(ofFileAt path: String) -> FileKind {
        guard let handle = FileHandle(forReadingAtPath: path) else { return .model }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 32)) ?? Data())
        if head.starts(with: StatisticsFile.magic) { return .statistics }
        if head.starts(with: Array("speakerid-calibration ".utf8)) { return .calibration }
        return .model
    }

    func describe(calibration c: Calibration, path: String) throws {
        let p = c.provenance
        if json {
            var o = try JSONSerialization.jsonObject(with: SpeakerIDCLI.snakeCaseEncoder().encode(c)) as? [String: Any] ?? [:]
            o["file"] = path
            o["kind"] = "calibration"
            print(SpeakerIDCLI.json(o))
            return
        }
        var lines = [path, "  kind:        calibration (calibrate), quality measure \(c.quality)"]
        lines.append(
            "  weights:     \(c.weights.map { String(format: "%.6g", $0) }.joined(separator: ", ")) (training prior \(String(format: "%.4g", c.trainingPrior)))"
        )
        lines.append("  trained on:  \(p.targetTrials) target and \(p.nonTargetTrials) non-target trials from \(p.source)")
        if let r = c.testSecondsRange {
            lines.append(
                "  test speech: \(fmt(r.lowerBound, 2))-\(fmt(r.upperBound, 2)) s in the development trials (a longer test is scored as the longest; a shorter one gets the shortest's LLR scaled by its share of speech)"
            )
        }
        lines.append(
            "  scores:      \(p.ubmChecksum.map { "log-likelihood ratios against the UBM with checksum \($0)" } ?? "models trained by EM"), normalisation \(p.scoreNormalization)"
        )
        lines.append("  written by:  SpeakerID \(c.toolVersion)")
        print(lines.joined(separator: "\n"))
    }

    func describe(statistics s: StatisticsFile, path: String) throws {
        let frames = s.statistics.occupancy.reduce(0, +)
        if json {
            print(
                SpeakerIDCLI.json([
                    "file": path, "kind": "statistics", "components": s.statistics.components,
                    "dimension": s.statistics.dimension, "model": s.model, "frames": frames,
                    "shards": s.shards, "shard_count": s.shardCount, "files": s.files,
                    "keep_every": s.keepEvery, "listing": s.listing,
                ]))
            return
        }
        print(
            [
                path, "  kind:        EM statistics (accumulate, sum-stats)",
                "  under:       the model with checksum \(s.model) (\(s.statistics.components) components, dimension \(s.statistics.dimension))",
                "  frames:      \(String(format: "%.0f", frames)) from \(s.files) file(s), shard(s) \(s.shards.map(String.init).joined(separator: ", ")) of \(s.shardCount), every \(s.keepEvery == 1 ? "" : "\(s.keepEvery)-th ")frame",
                "  file list:   \(s.listing)",
            ].joined(separator: "\n"))
    }
}
