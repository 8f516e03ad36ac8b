import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A corpus without a protocol: one sub-folder per speaker.
extension Corpus {
    static func scanFolders(_ root: String) throws -> (entries: [CorpusEntry], notes: [String]) {
        var walker = AudioWalker(strict: true)
        var out: [CorpusEntry] = []
        var speakerDirs: [(name: String, path: String)] = []
        walker.claim(root)
        for name in try listDirectory(root, notes: &walker.notes).sorted() where !name.hasPrefix(".") {
            let p = PathName.join(root, name)
            switch FileSystem.kind(p) {
            case .directory:
                if let first = walker.claim(p) {
                    walker.notes.append("speaker folder \(p) is the same folder as \(first); speaker \(name) skipped")
                } else {
                    speakerDirs.append((name, p))
                }
            case .brokenLink(let target):
                walker.notes.append("\(p) is a broken symbolic link (to \(target)); skipped")
            case .file:
                if isAudioName(name) { walker.notes.append("\(p) is not in a speaker folder; skipped") }
            case .other, .missing:
                continue
            }
        }
        var seenFiles: [String: String] = [:]
        for (name, dir) in speakerDirs {
            var files = try walker.files(under: dir, alreadyClaimed: true)
            files = files.filter { f in
                let key = FileSystem.canonicalPath(f) ?? f
                if let first = seenFiles[key] {
                    walker.notes.append("\(f) is the same file as \(first); counted once")
                    return false
                }
                seenFiles[key] = f
                return true
            }
            if files.isEmpty { walker.notes.append("speaker folder \(dir) holds no audio files; speaker \(name) skipped") }
            for f in files { out.append(CorpusEntry(speaker: name, path: f, split: "all")) }
        }
        return (out, walker.notes)
    }
}
