import Foundation
import Testing
@testable import SpeakerID
import SpeakerIDDemo

/// The bad-input catalogue through the command line: every case exits with status 1 and one
/// line on standard error naming the input, leaves no file behind, and never prints NaN;
/// valid but unusual inputs succeed.
struct BadInputCatalogueTests {
    struct Case {
        var name: String
        var args: [String]
        var mentions: String
    }

    static func expectOneLineFailure(_ c: Case) throws {
        let r = try CLI.run(c.args)
        #expect(r.status == 1, "\(c.name): status \(r.status), stderr \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(c.name): \(r.stderr)")
        #expect(r.stderr.contains(c.mentions), "\(c.name): \(r.stderr) does not name \(c.mentions)")
        #expect(!r.stderr.contains("Fatal error") && !r.stdout.lowercased().contains("nan"), "\(c.name)")
    }

    @Test func badAudio() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        func file(_ n: String, _ d: Data) throws -> String {
            try d.write(to: URL(fileURLWithPath: dir.file(n)))
            return dir.file(n)
        }
        var rng = SeededRandom(seed: 1)
        try AudioWriter.write([], sampleRate: 16000, to: dir.file("header-only.wav"))
        try AudioWriter.write(
            SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 2), sampleRate: 16000, to: dir.file("full.flac"), format: .flac16)
        let flac = try Data(contentsOf: URL(fileURLWithPath: dir.file("full.flac")))
        var nan = SyntheticSpeech.generate(seconds: 1, sampleRate: 16000, seed: 3)
        nan[500] = .nan
        nan[900] = .infinity
        try AudioWriter.write(nan, sampleRate: 16000, to: dir.file("nan.wav"), format: .wavFloat)
        try AudioWriter.write([Float](repeating: 0, count: 16000), sampleRate: 16000, to: dir.file("zeros.wav"))
        try AudioWriter.write([Float](repeating: 0.25, count: 16000), sampleRate: 16000, to: dir.file("dc.wav"), format: .wavFloat)
        try AudioWriter.write([Float](repeating: 0.1, count: 100), sampleRate: 16000, to: dir.file("tiny.wav"))
        let cases: [Case] = [
            Case(name: "missing", args: ["features", dir.file("missing.wav")], mentions: "missing.wav"),
            Case(name: "directory", args: ["features", "--summary", dir.file("emptydir.wav")], mentions: "emptydir.wav"),
            Case(name: "empty", args: ["features", try file("empty.wav", Data())], mentions: "empty.wav"),
            Case(name: "header only", args: ["features", dir.file("header-only.wav")], mentions: "header-only.wav"),
            Case(name: "truncated FLAC", args: ["features", try file("cut.flac", flac.prefix(flac.count / 3))], mentions: "cut.flac"),
            Case(
                name: "random bytes",
                args: ["features", try file("random.wav", Data((0..<3000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))],
                mentions: "random.wav"),
            Case(name: "text", args: ["features", try file("text.wav", Data("this is a text file\n".utf8))], mentions: "text.wav"),
            Case(name: "NaN and Inf", args: ["features", dir.file("nan.wav")], mentions: "nan.wav"),
            Case(name: "all zeros", args: ["features", dir.file("zeros.wav")], mentions: "zeros.wav"),
            Case(name: "DC only", args: ["features", dir.file("dc.wav")], mentions: "dc.wav"),
            Case(name: "shorter than a frame", args: ["features", dir.file("tiny.wav")], mentions: "tiny.wav"),
            Case(name: "1 Hz", args: ["features", "--raw", "1:pcm16", try file("onehz.raw", Data(repeating: 7, count: 400))], mentions: "onehz.raw"),
        ]
        try FileManager.default.createDirectory(atPath: dir.file("emptydir.wav"), withIntermediateDirectories: true)
        for c in cases { try Self.expectOneLineFailure(c) }
        // Unusual but valid: a clipped square wave gives finite features.
        let square = (0..<16000).map { i -> Float in (i / 40) % 2 == 0 ? 1 : -1 }
        try AudioWriter.write(square, sampleRate: 16000, to: dir.file("square.wav"))
        let sq = try CLI.run(["features", "--json", dir.file("square.wav")])
        #expect(sq.status == 0 && !sq.stdout.lowercased().contains("nan") && sq.stdout.contains("\"frames\""))
    }

    @Test func badModels() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let good = try ModelFile.encode(ModelFileTests.model(K: 2))
        let gmmAt = (16..<(good.count - 4)).first { Array(good[$0..<($0 + 4)]) == Array("GMM\0".utf8) }!
        var flipped = good
        flipped[good.count / 2] ^= 0xFF
        var magic = good
        magic[0] = 0x58
        var future = good
        future[8] = 9
        var absurd = good
        absurd[gmmAt + 15] = 0x80
        var nanW = good
        for i in 0..<4 { nanW[gmmAt + 20 + i] = UInt8((Float.nan.bitPattern >> (8 * UInt32(i))) & 0xFF) }
        let variants: [(String, [UInt8])] = [
            ("truncated", Array(good.prefix(good.count - 30))), ("flipped", flipped), ("magic", magic),
            ("future", ModelFileTests.resign(future)), ("absurd-k", ModelFileTests.resign(absurd)),
            ("nan-weights", ModelFileTests.resign(nanW)), ("text", Array("hello".utf8)),
        ]
        for (name, bytes) in variants {
            let path = dir.file("\(name).gmm")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            try Self.expectOneLineFailure(Case(name: "model \(name)", args: ["info", path], mentions: path))
        }
    }

    @Test func badNamesAndCorpora() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let audio = dir.file("a.wav")
        try AudioWriter.write(SyntheticSpeech.generate(seconds: 3, sampleRate: 16000, seed: 4), sampleRate: 16000, to: audio)
        let models = dir.file("models")
        for name in ["", String(repeating: "x", count: 300), "tab\there"] {
            try Self.expectOneLineFailure(
                Case(
                    name: "name \(name.prefix(10).debugDescription)",
                    args: ["enroll", "--models", models, "--speaker", name, "--components", "4", audio], mentions: "speaker name"))
        }
        #expect(!FileManager.default.fileExists(atPath: models))
        for name in ["..", "../x", "/etc/passwd", "Zoë 😀", "with space"] {
            let r = try CLI.run(["enroll", "--models", models, "--speaker", name, "--components", "4", "-q", audio])
            #expect(r.status == 0, "\(name): \(r.stderr)")
        }
        let stored = try FileManager.default.contentsOfDirectory(atPath: models)
        #expect(stored.count == 5 && stored.allSatisfy { !$0.contains("/") && $0.hasSuffix(".gmm") && !$0.hasPrefix(".") })
        let info = try CLI.run(["info", "--json", (models as NSString).appendingPathComponent(try SpeakerName("/etc/passwd").fileName)])
        #expect(info.stdout.contains("\"speaker\":\"\\/etc\\/passwd\""))
        // Corpora.
        let corpus = dir.file("c")
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
        let proto = (corpus as NSString).appendingPathComponent("protocol.tsv")
        for (name, text, line) in [
            ("missing column", "speaker\tpath\na\ta.wav\n", "protocol.tsv:1"),
            ("short row", "speaker\tpath\tsplit\na\ta.wav\n", "protocol.tsv:2"),
            ("escaping path", "speaker\tpath\tsplit\na\t../../a.wav\tenroll\n", "protocol.tsv:2"),
            ("duplicate", "speaker\tpath\tsplit\na\ta.wav\tenroll\na\ta.wav\tenroll\n", "protocol.tsv:3"),
            ("unknown split", "speaker\tpath\tsplit\na\ta.wav\ttest\n", "enroll"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: proto))
            try Self.expectOneLineFailure(
                Case(name: "corpus \(name)", args: ["enroll", "--models", dir.file("m2"), "--corpus", corpus], mentions: line))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("m2")))
    }
}
