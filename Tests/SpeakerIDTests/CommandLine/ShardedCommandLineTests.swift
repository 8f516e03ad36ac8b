import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The sharded verbs through the real CLI (issue #17): init-ubm, then rounds of accumulate (one
/// run per shard), sum-stats and update give train-ubm's UBM byte for byte, whatever the shard
/// count; wrong sums are refused with one line.
struct ShardedCommandLineTests {

    /// 15 recordings: the synthetic corpus and a background corpus.
    static func corpora(_ dir: TempDir) throws -> [String] {
        try Fixtures.syntheticCorpus(dir)
        for (name, pitch) in [("bg1", 120.0), ("bg2", 200.0), ("bg3", 320.0)] {
            try FileManager.default.createDirectory(atPath: dir.file("background/\(name)"), withIntermediateDirectories: true)
            for j in 0..<2 {
                try AudioWriter.write(
                    SyntheticSpeech.generate(seconds: 4, sampleRate: 16000, seed: UInt64(100 + j) &* UInt64(pitch), pitch: pitch),
                    sampleRate: 16000, to: dir.file("background/\(name)/\(j).wav"))
            }
        }
        return ["--corpus", dir.file("background") + ":all", "--corpus", dir.file("corpus") + ":all"]
    }

    static func json(_ r: CLI.Run) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) ?? [:]
    }

    /// init-ubm, then rounds of the three verbs until update says finished; the UBM's bytes.
    static func sharded(_ dir: TempDir, corpora: [String], em: [String], shards: Int, tag: String) throws -> (bytes: Data, rounds: Int) {
        let m0 = dir.file("\(tag)-m0.gmm")
        let i = try CLI.run(["init-ubm"] + corpora + em + ["--out", m0, "-q"])
        try #require(i.status == 0, "\(i.stderr)")
        var model = m0
        for round in 0..<20 {
            var parts: [String] = []
            for s in 0..<shards {
                let part = dir.file("\(tag)-r\(round)-s\(s).stats")
                let a = try CLI.run(
                    ["accumulate", "--model", model] + corpora + ["--shard", "\(s)/\(shards)", "--out", part, "--threads", "\(1 + s % 2)", "-q"])
                try #require(a.status == 0, "\(a.stderr)")
                parts.append(part)
            }
            // A tree of sums: pairs first (in reverse order), then the pairs' sums.
            var level = Array(parts.reversed())
            var n = 0
            while level.count > 1 {
                var next: [String] = []
                for p in stride(from: 0, to: level.count, by: 2) {
                    let sum = dir.file("\(tag)-r\(round)-sum\(n).stats")
                    n += 1
                    let r = try CLI.run(["sum-stats", "--out", sum] + level[p..<min(p + 2, level.count)] + ["-q"])
                    try #require(r.status == 0, "\(r.stderr)")
                    next.append(sum)
                }
                level = next
            }
            let next = dir.file("\(tag)-m\(round + 1).gmm")
            let u = try CLI.run(["update", "--model", model, "--stats", level[0], "--out", next, "--json"])
            try #require(u.status == 0, "\(u.stderr)")
            if Self.json(u)["finished"] as? Bool == true {
                return (try Data(contentsOf: URL(fileURLWithPath: next)), round + 1)
            }
            model = next
        }
        Issue.record("update never finished")
        return (Data(), 0)
    }

    @Test func threeVerbsGiveTrainUBMsModelByteForByteWhateverTheShardCount() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let corpora = try Self.corpora(dir)
        // Iteration limit (tolerance 0), and convergence before the limit.
        for (tag, em) in [
            ("limit", ["--components", "8", "--iterations", "3", "--tolerance", "0", "--seed", "2"]),
            ("tol", ["--components", "8", "--iterations", "30", "--tolerance", "0.02", "--seed", "5"]),
        ] {
            let ref = dir.file("\(tag)-ref.gmm")
            let t = try CLI.run(["train-ubm"] + corpora + em + ["--out", ref, "--json"])
            try #require(t.status == 0, "\(t.stderr)")
            let iterations = Self.json(t)["iterations"] as? Int ?? -1
            let reference = try Data(contentsOf: URL(fileURLWithPath: ref))
            if tag == "tol" { #expect(iterations > 0 && iterations < 30, "converged after \(iterations)") } else { #expect(iterations == 3) }
            // 16 shards of 15 recordings: one shard is empty.
            for shards in [1, 4, 16] {
                let (bytes, rounds) = try Self.sharded(dir, corpora: corpora, em: em, shards: shards, tag: "\(tag)\(shards)")
                #expect(bytes == reference, "\(tag), \(shards) shards: the UBM differs from train-ubm's")
                #expect(rounds == iterations + 1, "\(tag), \(shards) shards")
            }
        }
    }

    @Test func wrongSumsAndStepsAreRefusedWithOneLine() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let corpora = try Self.corpora(dir)
        let em = ["--components", "4", "--iterations", "2", "--seed", "1"]
        let m0 = dir.file("m0.gmm"), m1 = dir.file("m1.gmm")
        #expect(try CLI.run(["init-ubm"] + corpora + em + ["--out", m0, "-q"]).status == 0)
        for s in 0..<2 {
            #expect(
                try CLI.run(["accumulate", "--model", m0] + corpora + ["--shard", "\(s)/2", "--out", dir.file("s\(s).stats"), "-q"]).status == 0)
        }
        // The same shard twice, and a shard missing.
        let twice = try CLI.run(["sum-stats", "--out", dir.file("x.stats"), dir.file("s0.stats"), dir.file("s0.stats")])
        #expect(
            twice.status == 1
                && twice.stderr
                    == "Error: \(dir.file("s0.stats")): shard 0/2 is already summed in \(dir.file("s0.stats")); each shard may be counted once\n",
            "\(twice.stderr)")
        #expect(try CLI.run(["sum-stats", "--out", dir.file("half.stats"), dir.file("s1.stats"), "-q"]).status == 0)
        let half = try CLI.run(["update", "--model", m0, "--stats", dir.file("half.stats"), "--out", m1])
        #expect(half.status == 1 && half.stderr.split(separator: "\n").count == 1 && half.stderr.contains("missing 0/2"), "\(half.stderr)")
        #expect(!FileManager.default.fileExists(atPath: m1))
        // Statistics of another list (another shard count) or under another model.
        #expect(try CLI.run(["accumulate", "--model", m0] + corpora + ["--shard", "1/3", "--out", dir.file("t1.stats"), "-q"]).status == 0)
        let list = try CLI.run(["sum-stats", "--out", dir.file("x.stats"), dir.file("s0.stats"), dir.file("t1.stats")])
        #expect(list.status == 1 && list.stderr.contains("another file list") && list.stderr.contains(dir.file("t1.stats")), "\(list.stderr)")
        #expect(try CLI.run(["sum-stats", "--out", dir.file("all.stats"), dir.file("s0.stats"), dir.file("s1.stats"), "-q"]).status == 0)
        #expect(try CLI.run(["update", "--model", m0, "--stats", dir.file("all.stats"), "--out", m1, "-q"]).status == 0)
        let stale = try CLI.run(["update", "--model", m1, "--stats", dir.file("all.stats"), "--out", dir.file("m2.gmm")])
        #expect(
            stale.status == 1 && stale.stderr.contains("accumulated under another model") && stale.stderr.split(separator: "\n").count == 1,
            "\(stale.stderr)")
        let other = try CLI.run(["accumulate", "--model", m1] + corpora + ["--shard", "0/2", "--out", dir.file("u0.stats"), "-q"])
        #expect(other.status == 0)
        let mixed = try CLI.run(["sum-stats", "--out", dir.file("x.stats"), dir.file("s1.stats"), dir.file("u0.stats")])
        #expect(mixed.status == 1 && mixed.stderr.contains("another model"), "\(mixed.stderr)")
        // Damaged and foreign files; a finished UBM is not continued.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("s1.stats")))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: dir.file("bad.stats")))
        let bad = try CLI.run(["sum-stats", "--out", dir.file("x.stats"), dir.file("s0.stats"), dir.file("bad.stats")])
        #expect(
            bad.status == 1
                && bad.stderr == "Error: \(dir.file("bad.stats")): corrupt statistics file (checksum mismatch: the file was damaged or truncated)\n",
            "\(bad.stderr)")
        let foreign = try CLI.run(["sum-stats", "--out", dir.file("x.stats"), m0])
        #expect(foreign.status == 1 && foreign.stderr.contains("not a SpeakerID statistics file"), "\(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("x.stats")))
        let ubm = dir.file("ubm.gmm")
        #expect(try CLI.run(["train-ubm"] + corpora + em + ["--out", ubm, "-q"]).status == 0)
        let done = try CLI.run(["update", "--model", ubm, "--stats", dir.file("all.stats"), "--out", dir.file("m9.gmm")])
        #expect(done.status == 1 && done.stderr.contains("a finished UBM"), "\(done.stderr)")
        // Bad shard specifications are usage errors.
        #expect(try CLI.run(["accumulate", "--model", m0] + corpora + ["--shard", "2/2", "--out", dir.file("y.stats")]).status == 64)
    }

    @Test func shardedEnrolmentAndEvaluationGiveTheWholeRunsModelsAndFigures() throws {
        let f = try UBMFixture(enrolAdapted: false)
        defer { f.dir.cleanup() }
        let corpus = f.dir.file("corpus")
        let whole = f.dir.file("whole"), sharded = f.dir.file("sharded")
        #expect(try CLI.run(["enroll", "--models", whole, "--corpus", corpus, "--split", "all", "--ubm", f.ubm, "-q"]).status == 0)
        for i in 0..<2 {
            let e = try CLI.run(["enroll", "--models", sharded, "--corpus", corpus, "--split", "all", "--ubm", f.ubm, "--shard", "\(i)/2", "--json"])
            #expect(e.status == 0, "\(e.stderr)")
            #expect((Self.json(e)["models"] as? [[String: Any]])?.count == (i == 0 ? 2 : 1))
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: whole).sorted()
        let shardedNames = try FileManager.default.contentsOfDirectory(atPath: sharded).sorted()
        #expect(names.count == 3 && shardedNames == names)
        for n in names {
            #expect(FileManager.default.contents(atPath: "\(whole)/\(n)") == FileManager.default.contents(atPath: "\(sharded)/\(n)"), "\(n)")
        }
        #expect(try CLI.run(["enroll", "--models", sharded, "--speaker", "x", "--shard", "0/2", f.clip("low", 0)]).status == 64)

        // One evaluation against three shards' score files, T-normed, with 1-s segments.
        let common = [
            "evaluate", "--models", whole, "--ubm", f.ubm, "--corpus", corpus, "--split", "all", "--segment-seconds", "1,0.5",
            "--score-norm", "tnorm", "--cohort", f.dir.file("background"),
        ]
        let one = try CLI.run(common + ["--scores", f.dir.file("all.tsv"), "--json"])
        try #require(one.status == 0, "\(one.stderr)")
        var parts: [String] = []
        for i in 0..<3 {
            let part = f.dir.file("part-\(i).tsv")
            let r = try CLI.run(common + ["--shard", "\(i)/3", "--scores", part, "-q"])
            #expect(r.status == 0, "\(r.stderr)")
            parts.append(part)
        }
        let report = try CLI.run(["score-report", "--json"] + parts.reversed())
        try #require(report.status == 0, "\(report.stderr)")
        let a = Self.json(one), b = Self.json(report)
        let keys = ["accuracy", "trials", "correct", "eer", "min_dcf", "eer_threshold", "verification_trials", "det"]
        func figures(_ o: [String: Any]) -> NSDictionary { NSDictionary(dictionary: o.filter { keys.contains($0.key) }) }
        #expect(figures(a) == figures(b) && figures(a).count == keys.count, "whole files: \(figures(a)) against \(figures(b))")
        let sa = a["segments"] as? [[String: Any]] ?? [], sb = b["segments"] as? [[String: Any]] ?? []
        // evaluate lists segments as asked (1, 0.5); score-report by length.
        #expect(sa.count == 2 && sb.count == 2)
        for s in sa {
            let match = sb.first { $0["segment_seconds"] as? Double == s["segment_seconds"] as? Double } ?? [:]
            #expect(figures(s) == figures(match), "\(s["segment_seconds"] ?? "?")-s segments")
        }
        #expect(NSArray(array: a["per_speaker"] as? [Any] ?? []) == NSArray(array: b["per_speaker"] as? [Any] ?? []))
        #expect(
            NSDictionary(dictionary: a["confusion"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: b["confusion"] as? [String: Any] ?? [:]))
        // A part given twice is refused; --shard needs --scores and refuses what needs every trial.
        let twice = try CLI.run(["score-report", parts[0], parts[1], parts[0]])
        #expect(twice.status == 1 && twice.stderr.split(separator: "\n").count == 1, "\(twice.stderr)")
        #expect(try CLI.run(common + ["--shard", "0/3"]).status == 64)
        #expect(try CLI.run(common + ["--shard", "0/3", "--scores", f.dir.file("p.tsv"), "--report", f.dir.file("r")]).status == 64)
    }

    @Test func framesCacheGivesTheSameStatisticsAndIsRebuiltWhenStaleOrDamaged() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let corpora = try Self.corpora(dir)
        let m0 = dir.file("m0.gmm"), cache = dir.file("cache")
        #expect(try CLI.run(["init-ubm"] + corpora + ["--components", "4", "--out", m0, "-q"]).status == 0)
        func accumulate(_ out: String, _ extra: [String] = []) throws -> (String, Data?) {
            let r = try CLI.run(["accumulate", "--model", m0] + corpora + extra + ["--shard", "1/3", "--out", dir.file(out), "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            return (Self.json(r)["frames_cache"] as? String ?? "?", FileManager.default.contents(atPath: dir.file(out)))
        }
        let (off, plain) = try accumulate("plain.stats")
        let (written, first) = try accumulate("a.stats", ["--frames-cache", cache])
        let (read, second) = try accumulate("b.stats", ["--frames-cache", cache])
        #expect(off == "off" && written == "written" && read == "read")
        #expect(plain != nil && plain == first && first == second)
        // Other frames (another --keep-every) do not use it; a damaged cache is decoded again.
        let (other, _) = try accumulate("c.stats", ["--frames-cache", cache, "--keep-every", "2"])
        #expect(other == "written")
        let file = dir.file("cache/shard-1-of-3.frames")
        #expect(try accumulate("d.stats", ["--frames-cache", cache]).0 == "written")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.count - 100] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: file))
        let r = try CLI.run(["accumulate", "--model", m0] + corpora + ["--shard", "1/3", "--frames-cache", cache, "--out", dir.file("e.stats")])
        #expect(r.status == 0 && r.stderr.contains("damaged frame cache (frames checksum mismatch); decoding the audio again"), "\(r.stderr)")
        #expect(FileManager.default.contents(atPath: dir.file("e.stats")) == plain)
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))
        let t = try CLI.run(["accumulate", "--model", m0] + corpora + ["--shard", "1/3", "--frames-cache", cache, "--out", dir.file("f.stats")])
        #expect(t.status == 0 && t.stderr.contains("damaged frame cache"), "\(t.stderr)")
        #expect(FileManager.default.contents(atPath: dir.file("f.stats")) == plain)
    }
}
