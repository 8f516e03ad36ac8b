import Foundation

/// A transcript or subtitle file whose cues can be given speakers: WebVTT (W3C), SubRip (SRT)
/// or whisper's JSON (`segments` with `start`, `end`, `text`, as openai-whisper and whisperX
/// write them). Read with `Transcript.parse`, written back with `text()` in the same format,
/// everything but the speakers kept as it was (WebVTT and SRT byte for byte).
public struct Transcript: Sendable {
    /// The formats read and written.
    public enum Format: String, Sendable, CaseIterable {
        case webVTT = "webvtt"
        case srt
        case whisperJSON = "whisper_json"
    }

    /// One timed piece of text.
    public struct Cue: Sendable, Equatable {
        /// Seconds from the start of the recording.
        public var start: Double
        public var end: Double
        /// The text, without the speaker (WebVTT's voice span, SRT's "Name: " prefix).
        public var text: String
        /// The speaker the file names, if any (`<v Name>`, whisperX's `speaker`, "Name: ").
        public var speaker: String?
        /// The cue's first line in the file (1-based; in JSON the segment's number), for messages.
        public var line: Int
        /// The payload's line terminator, and the speaker and its prefix as the file had them,
        /// so an unchanged cue is written back as it was.
        var lineEnd = ""
        var originalSpeaker: String?
        var originalPrefix: String?

        /// A cue from `start` to `end` seconds.
        public init(start: Double, end: Double, text: String, speaker: String? = nil, line: Int = 0) {
            self.start = start
            self.end = end
            self.text = text
            self.speaker = speaker
            self.line = line
        }

        init(
            start: Double, end: Double, text: String, speaker: String?, line: Int, lineEnd: String = "", originalSpeaker: String?,
            originalPrefix: String? = nil
        ) {
            self.init(start: start, end: end, text: text, speaker: speaker, line: line)
            self.lineEnd = lineEnd
            self.originalSpeaker = originalSpeaker
            self.originalPrefix = originalPrefix
        }
    }

    public let format: Format
    /// The file's name, for messages.
    public let name: String
    public var cues: [Cue]
    /// What is written back around the cues: for WebVTT and SRT the file's lines with each
    /// cue's payload replaced by a placeholder; for JSON the file's bytes.
    private let pieces: [Piece]
    private let json: [UInt8]?

    /// A piece of a WebVTT or SRT file as it is written back.
    enum Piece: Sendable {
        case verbatim(String)
        /// Cue `index`'s payload lines.
        case payload(Int)
    }

    private init(format: Format, name: String, cues: [Cue], pieces: [Piece], json: [UInt8]?) {
        self.format = format
        self.name = name
        self.cues = cues
        self.pieces = pieces
        self.json = json
    }

    /// The format a file's name and first bytes say: `.vtt` or a "WEBVTT" header, `.srt`, `.json`.
    public static func format(name: String, text: String) -> Format? {
        let lower = name.lowercased()
        if lower.hasSuffix(".vtt") || text.hasPrefix("WEBVTT") || text.hasPrefix("\u{FEFF}WEBVTT") { return .webVTT }
        if lower.hasSuffix(".srt") { return .srt }
        if lower.hasSuffix(".json") || text.drop(while: \.isWhitespace).first == "{" { return .whisperJSON }
        return nil
    }

    /// Parses `bytes` (UTF-8) named `name`; refuses non-UTF-8 text, malformed timestamps, cues of
    /// zero or negative length and overlapping cues, naming the file and line.
    public static func parse(_ bytes: [UInt8], name: String, format given: Format? = nil) throws(TranscriptError) -> Transcript {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8(name) }
        guard let format = given ?? Self.format(name: name, text: text) else { throw .unknownFormat(name) }
        var t: Transcript
        switch format {
        case .webVTT: t = try WebVTT.parse(text, name: name)
        case .srt: t = try SubRip.parse(text, name: name)
        case .whisperJSON: t = try WhisperJSON.parse(bytes, name: name)
        }
        try t.checkTimes()
        return t
    }

    static func assemble(format: Format, name: String, cues: [Cue], pieces: [Piece]) -> Transcript {
        Transcript(format: format, name: name, cues: cues, pieces: pieces, json: nil)
    }

    static func assemble(json: [UInt8], name: String, cues: [Cue]) -> Transcript {
        Transcript(format: .whisperJSON, name: name, cues: cues, pieces: [], json: json)
    }

    private func checkTimes() throws(TranscriptError) {
        var previous: Cue?
        for c in cues {
            guard c.start.isFinite, c.end.isFinite, c.start >= 0 else { throw .malformed(name, line: c.line, "a time that is not a time") }
            if c.end <= c.start {
                throw .malformed(name, line: c.line, "the cue ends (\(Self.clock(c.end))) at or before it starts (\(Self.clock(c.start)))")
            }
            if let p = previous, c.start < p.end {
                throw .malformed(
                    name, line: c.line,
                    "the cue starts (\(Self.clock(c.start))) before the previous one (line \(p.line)) ends (\(Self.clock(p.end))); overlapping cues are not supported"
                )
            }
            previous = c
        }
    }

    /// The file again, with each cue's speaker as the format writes it.
    public func text() -> String {
        switch format {
        case .whisperJSON: return WhisperJSON.write(json ?? [], cues: cues)
        case .webVTT, .srt:
            return pieces.map { b -> String in
                switch b {
                case .verbatim(let s): return s
                case .payload(let i): return format == .webVTT ? WebVTT.payload(cues[i]) : SubRip.payload(cues[i])
                }
            }.joined()
        }
    }

    static func clock(_ t: Double) -> String {
        let ms = Int((t * 1000).rounded())
        return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000)
    }
}

/// A transcript that cannot be read, named by file and line.
public enum TranscriptError: Error, Sendable, Equatable, CustomStringConvertible {
    case notUTF8(String)
    case unknownFormat(String)
    case malformed(String, line: Int, String)

    public var description: String {
        switch self {
        case .notUTF8(let f): return "\(f): not UTF-8 text"
        case .unknownFormat(let f): return "\(f): not WebVTT (.vtt), SRT (.srt) or whisper's JSON (.json)"
        case .malformed(let f, let line, let why): return "\(f):\(line): \(why)"
        }
    }
}
