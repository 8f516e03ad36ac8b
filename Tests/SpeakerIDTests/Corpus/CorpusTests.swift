import Foundation
import Testing
@testable import SpeakerID

/// The two layouts of a corpus: a protocol file whose rows resolve inside the corpus, and a
/// folder per speaker.
struct CorpusTests {
    static func write(_ text: String, in dir: TempDir) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir.file("protocol.tsv")))
    }

    @Test func protocolRowsResolveInsideTheCorpus() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Self.write("speaker\tpath\tsplit\na\ta/1.wav\tenroll\nb\tb/2.wav\ttest\n", in: dir)
        let c = try Corpus(root: dir.path)
        #expect(c.entries.count == 2)
        #expect(try c.entries(split: "test").map(\.speaker) == ["b"])
        #expect(c.entries[0].path.hasSuffix("/a/1.wav"))
    }

    @Test func badProtocolsSayWhereAndWhy() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        try Self.write("speaker\tfile\tsplit\na\ta.wav\tenroll\n", in: dir)
        #expect(throws: CorpusError.self) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\ta.wav\n", in: dir)
        #expect(throws: CorpusError.self) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\t../../etc/passwd\tenroll\n", in: dir)
        #expect(throws: CorpusError.escapingPath(dir.file("protocol.tsv"), line: 2, path: "../../etc/passwd")) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\t/etc/passwd\tenroll\n", in: dir)
        #expect(throws: CorpusError.self) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\ta.wav\tenroll\na\t./a.wav\tenroll\n", in: dir)
        #expect(throws: CorpusError.duplicateRow(dir.file("protocol.tsv"), line: 3, path: "./a.wav")) { try Corpus(root: dir.path) }
        try Self.write("speaker\tpath\tsplit\na\ta.wav\tenroll\n", in: dir)
        #expect(throws: CorpusError.unknownSplit(dir.path, split: "tset", available: ["enroll"])) {
            try Corpus(root: dir.path).entries(split: "tset")
        }
    }

    @Test func aFolderPerSpeakerIsACorpus() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        for s in ["x", "y"] {
            try FileManager.default.createDirectory(atPath: dir.file(s), withIntermediateDirectories: true)
            try AudioWriter.write(sine(200, seconds: 0.1, rate: 8000), sampleRate: 8000, to: dir.file("\(s)/1.wav"))
            try Data("not audio".utf8).write(to: URL(fileURLWithPath: dir.file("\(s)/notes.txt")))
        }
        let c = try Corpus(root: dir.path)
        #expect(c.entries.map(\.speaker) == ["x", "y"])
        #expect(Corpus.speakers(c.entries) == ["x", "y"])
    }
}
