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
        field(((path as NSString).lastPathComponent as NSString).deletingPathExtension)
    }

    /// Reads the SPEAKER lines of RTTM text (other line types and `;;` or `#` comments are
    /// skipped), refusing a malformed one with its line number.
    public static func parse(_ text: String, name: String) throws(TrackingError) -> [RTTMSegment] {
        var out: [RTTMSegment] = []
        var number = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            number += 1
            let fields = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let type = fields.first, !type.hasPrefix(";;"), !type.hasPrefix("#") else { continue }
            guard type == "SPEAKER" else { continue }
            guard fields.count >= 8 else {
                throw .badRTTM(name, line: number, reason: "a SPEAKER line needs at least 8 fields (SPEAKER file channel start duration <NA> <NA> name); this one has \(fields.count)")
            }
            guard let start = Double(fields[3]), start.isFinite, start >= 0 else {
                throw .badRTTM(name, line: number, reason: "the start time \(fields[3].debugDescription) is not a number of seconds at or after 0")
            }
            guard let duration = Double(fields[4]), duration.isFinite, duration >= 0 else {
                throw .badRTTM(name, line: number, reason: "the duration \(fields[4].debugDescription) is not a number of seconds at or above 0")
            }
            out.append(RTTMSegment(file: fields[1], start: start, duration: duration, label: fields[7]))
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
