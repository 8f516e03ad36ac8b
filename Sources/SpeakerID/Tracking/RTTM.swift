import Foundation

/// One speaker turn of an RTTM file.
public struct RTTMSegment: Sendable, Equatable {
    /// The recording the turn belongs to (RTTM's file id).
    public var file: String
    public var start: Double
    public var duration: Double
    public var label: String
    public var end: Double { start + duration }

    /// A turn of recording `file`: `duration` seconds from `start`, said by `label`.
    public init(file: String, start: Double, duration: Double, label: String) {
        self.file = file
        self.start = start
        self.duration = duration
        self.label = label
    }
}

/// NIST Rich Transcription Time Marked files, the format diarization scorers read:
/// `SPEAKER <file> <channel> <start> <duration> <NA> <NA> <name> <NA> <NA>`, one turn a line.
public enum RTTM {
    /// The RTTM line of a turn (times to the microsecond).
    public static func line(file: String, start: Double, duration: Double, label: String) -> String {
        "SPEAKER \(field(file)) 1 \(String(format: "%.6f", start)) \(String(format: "%.6f", duration)) <NA> <NA> \(field(label)) <NA> <NA>"
    }

    /// A name as one RTTM field: fields are separated by white space, so each run of it
    /// becomes "_".
    public static func field(_ s: String) -> String {
        var out = ""
        var inSpace = false
        for ch in s {
            if ch.isWhitespace {
                if !inSpace { out.append("_") }
                inSpace = true
            } else {
                out.append(ch)
                inSpace = false
            }
        }
        return out.isEmpty ? "_" : out
    }

    /// The recording id of an audio file: its name without folder and extension.
    public static func fileID(_ path: String) -> String {
        field(PathName.stem(path))
    }

    /// The line types of NIST RTTM (RT-09 evaluation plan, appendix A); lines of these types
    /// other than SPEAKER are skipped.
    public static let lineTypes: Set<String> = [
        "SEGMENT", "NOSCORE", "NO_RT_METADATA", "LEXEME", "NON-LEX", "NON-SPEECH",
        "FILLER", "EDIT", "IP", "SU", "CB", "A/P", "SPEAKER", "SPKR-INFO",
    ]

    /// The latest time an RTTM line may reach, in seconds: a week. Later times are typing or
    /// unit errors (milliseconds, samples), not recordings.
    public static let maximumSeconds = 604_800.0

    /// Reads the SPEAKER lines of RTTM text (other RTTM line types, blank lines and `;;` or `#`
    /// comments are skipped), refusing a malformed one with its line number: a line type RTTM
    /// does not have, a SPEAKER line of fewer than 8 or more than 10 fields (NIST's is
    /// `SPEAKER file channel start duration <NA> <NA> name <NA> <NA>`; an eleventh field
    /// usually means a file id or a name with a space, which shifts the times), or a start
    /// or duration that is not a number of seconds from 0 to `maximumSeconds`.
    public static func parse(_ text: String, name: String) throws(TrackingError) -> [RTTMSegment] {
        try parseNumbered(text, name: name).map(\.segment)
    }

    /// As `parse`, each turn with its line number.
    public static func parseNumbered(_ text: String, name: String) throws(TrackingError) -> [(segment: RTTMSegment, line: Int)] {
        var out: [(segment: RTTMSegment, line: Int)] = []
        var number = 0
        // A turn written twice would count its speech (or its false alarm) twice.
        var seen: [String: Int] = [:]
        var text = Substring(text)
        if text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            number += 1
            let fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let type = fields.first, !type.hasPrefix(";;"), !type.hasPrefix("#") else { continue }
            guard type == "SPEAKER" else {
                if lineTypes.contains(type) { continue }
                let hint = lineTypes.contains(type.uppercased()) ? " (line types are upper case: \(type.uppercased()))" : ""
                throw .badRTTM(
                    name, line: number,
                    reason:
                        "\(String(type.prefix(40)).debugDescription) is not an RTTM line type\(hint); a speaker turn is: SPEAKER file channel start duration <NA> <NA> name <NA> <NA>"
                )
            }
            guard fields.count >= 8 && fields.count <= 10 else {
                let more = fields.count > 10 ? "; a file id or speaker name with a space in it shifts the fields (write it with '_')" : ""
                throw .badRTTM(
                    name, line: number,
                    reason:
                        "a SPEAKER line has 10 fields (SPEAKER file channel start duration <NA> <NA> name <NA> <NA>; the last two or three may be left out); this one has \(fields.count)\(more)"
                )
            }
            guard let start = Double(fields[3]), start.isFinite, start >= 0, start <= maximumSeconds else {
                throw .badRTTM(
                    name, line: number,
                    reason: "the start time \(fields[3].debugDescription) is not a number of seconds from 0 to a week (\(Int(maximumSeconds)) s)")
            }
            guard let duration = Double(fields[4]), duration.isFinite, duration >= 0, start + duration <= maximumSeconds else {
                throw .badRTTM(
                    name, line: number,
                    reason:
                        "the duration \(fields[4].debugDescription) is not a number of seconds from 0 with the turn ending within a week (\(Int(maximumSeconds)) s)"
                )
            }
            let key = "\(fields[1])\t\(fields[2])\t\(start)\t\(duration)\t\(fields[7])"
            if let first = seen[key] {
                throw .badRTTM(name, line: number, reason: "the same turn as line \(first) (file, channel, start, duration and speaker); remove one")
            }
            seen[key] = number
            out.append((RTTMSegment(file: fields[1], start: start, duration: duration, label: fields[7]), number))
        }
        return out
    }

    /// Reads an RTTM file.
    public static func read(path: String) throws(TrackingError) -> [RTTMSegment] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .unreadable(path, reason: "not UTF-8 text") }
        return try parse(text, name: path)
    }
}
