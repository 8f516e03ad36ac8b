import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Audio files from the files and folders a user names.
extension Corpus {
    /// Audio files below `dir` (recursively, following symbolic links, each folder once), sorted.
    /// Folders that cannot be read are skipped; `expandInputs(_:)` says so.
    public static func audioFiles(in dir: String) -> [String] {
        var walker = AudioWalker(strict: false)
        return (try? walker.files(under: dir)) ?? []
    }

    /// Expands a list of files and folders into audio files (folders recursively, following
    /// symbolic links), each file once; see `expandInputs(_:)` for the notes on what was dropped.
    public static func expand(_ inputs: [String]) -> [String] { expandInputs(inputs).files }

    /// Expands the files and folders given on a command line into audio files.
    ///
    /// A folder gives its audio files (recognised by extension, recursively, sorted, following
    /// symbolic links, each folder once; hidden files skipped); anything else is kept as given
    /// (a missing file then fails where it is opened). A file reached twice — given twice,
    /// through a symbolic link, or as a folder and a file inside it — is kept once, at its first
    /// place and in its first spelling.
    /// - Returns: the files, and one sentence per thing dropped or skipped: each duplicate, a
    ///   folder without audio files, a broken link or unreadable folder inside a folder.
    public static func expandInputs(_ inputs: [String]) -> (files: [String], notes: [String]) {
        var files: [String] = [], notes: [String] = []
        var firstSpelling: [String: String] = [:]
        for input in inputs {
            let found: [String]
            if FileSystem.isDirectory(input) {
                // A walker per folder: a folder given twice gives its files twice, each then
                // reported below as a duplicate.
                var walker = AudioWalker(strict: false)
                found = (try? walker.files(under: input)) ?? []
                notes += walker.notes
                if found.isEmpty { notes.append("folder \(input) holds no audio files") }
            } else {
                found = [input]
            }
            for f in found {
                let key = FileSystem.canonicalPath(f) ?? PathName.absolute(f)
                if let first = firstSpelling[key] {
                    notes.append(first == f ? "\(f) is listed twice; counted once" : "\(f) is listed twice (also as \(first)); counted once")
                } else {
                    firstSpelling[key] = f
                    files.append(f)
                }
            }
        }
        return (files, notes)
    }
}
