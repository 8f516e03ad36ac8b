import Foundation
import Testing
@testable import SpeakerID

/// A models folder: hostile speaker names kept inside it, atomic saves, models of different
/// front ends kept apart, foreign files ignored and damaged models named.
struct ModelStoreTests {
    @Test(arguments: ["", "..", "../x", "/etc/passwd", "a\u{0}b", String(repeating: "x", count: 300), "Bob", "bob", "名前 😀", "with space"])
    func hostileNamesStayInsideTheModelsFolder(name: String) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        do {
            let path = try store.save(ModelFileTests.model(speaker: name))
            #expect((path as NSString).deletingLastPathComponent == dir.path)
            #expect(dir.contents.count == 1)
            #expect(try store.load(SpeakerName(name)).speaker == name.precomposedStringWithCanonicalMapping)
        } catch ModelStoreError.invalidName(let e) {
            #expect(["", "a\u{0}b", String(repeating: "x", count: 300)].contains(name), "\(name.debugDescription) refused: \(e)")
            #expect(dir.contents.isEmpty)
        }
    }

    @Test func namesDifferingOnlyByCaseGetDifferentFiles() throws {
        #expect(try SpeakerName("Bob").fileName != SpeakerName("bob").fileName)
        #expect(try SpeakerName("Bob").fileName.lowercased() != SpeakerName("bob").fileName.lowercased())
    }

    @Test func canonicallyEquivalentNamesAreOneSpeaker() throws {
        #expect(try SpeakerName("Caf\u{E9}") == SpeakerName("Cafe\u{301}"))
    }

    @Test func savingReplacesAtomicallyAndLeavesNoTemporaryFiles() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        try store.save(ModelFileTests.model(K: 2))
        try store.save(ModelFileTests.model(K: 3))
        #expect(dir.contents == ["alice.gmm"])
        #expect(try store.load(SpeakerName("alice")).gmm.components == 3)
    }

    @Test func modelsFromDifferentFrontEndsAreNotCompared() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        try store.save(ModelFileTests.model(speaker: "a"))
        var o = FrontEndOptions()
        o.filterbank.filters = 32
        try store.save(ModelFileTests.model(speaker: "b", frontEnd: o))
        #expect {
            try store.loadAll()
        } throws: { e in
            guard case .incompatible(_, let reason) = e as? ModelStoreError else { return false }
            return reason.contains("filterbank.filters")
        }
    }

    @Test func foreignFilesAreIgnoredAndCorruptModelsReported() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        try store.save(ModelFileTests.model(speaker: "a"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: dir.file("README.txt")))
        #expect(try store.loadAll().map(\.speaker) == ["a"])
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.file("zed.gmm")))
        #expect(throws: ModelStoreError.invalidFile(.tooShort(dir.file("zed.gmm"), bytes: 7))) { try store.loadAll() }
    }

    /// Models are read on every core, but the models come back in folder order and the first
    /// bad file in that order is the one named, whichever thread reached a bad file first.
    @Test func aFolderReadInParallelKeepsItsOrderAndNamesTheFirstBadFile() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = ModelStore(directory: dir.path)
        let names = (0..<40).map { String(format: "s%02d", $0) }
        for n in names { try store.save(ModelFileTests.model(speaker: n)) }
        #expect(try store.loadAll().map(\.speaker) == names)
        for bad in ["s37", "s11", "s20"] { try Data("garbage".utf8).write(to: URL(fileURLWithPath: dir.file(bad + ".gmm"))) }
        for _ in 0..<5 {
            #expect(throws: ModelStoreError.invalidFile(.tooShort(dir.file("s11.gmm"), bytes: 7))) { try store.loadAll() }
        }
    }

    @Test func anEmptyFolderHasNoModels() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        #expect(throws: ModelStoreError.noModels(dir.path)) { try ModelStore(directory: dir.path).loadAll() }
    }
}
