import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One recording of a corpus.
public struct CorpusEntry: Sendable, Equatable {
    public var speaker: String
    /// Absolute or corpus-relative path, resolved against the corpus folder.
    public var path: String
    public var split: String
    /// The utterance's id in a Kaldi data folder (what trial lists name).
    public var utterance: String? = nil
    /// The part of the file this entry is, from a Kaldi `segments` file; nil for the whole file.
    public var range: TimeRange? = nil

    /// A start and an end in seconds.
    public struct TimeRange: Sendable, Equatable {
        public var start: Double
        public var end: Double
    }

    /// Where the entry's audio is: the file, or the segment of it.
    public var source: AudioSource {
        guard let range else { return .file(path) }
        return .segment(path, start: range.start, end: range.end, name: "\(utterance ?? path) (\(path) \(range.start)-\(range.end) s)")
    }

    /// How trial lists and score files name the entry: the Kaldi utterance id, else the path.
    public var name: String { utterance ?? path }
}
