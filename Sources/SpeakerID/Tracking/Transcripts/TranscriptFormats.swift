import Foundation

/// Lines of a text with their terminators, so a file can be written back byte for byte.
struct TextLines {
    var lines: [(text: String, end: String)] = []

    init(_ s: String) {
        var current = ""
        var it = s.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = it.next()
        while let c = pending {
            pending = it.next()
            if c == "\n" {
                lines.append((current, "\n"))
                current = ""
            } else if c == "\r" {
                if pending == "\n" {
                    pending = it.next()
                    lines.append((current, "\r\n"))
                } else {
                    lines.append((current, "\r"))
                }
                current = ""
            } else {
                current.unicodeScalars.append(c)
            }
        }
        if !current.isEmpty { lines.append((current, "")) }
    }

    /// Whether line `i` holds only white space.
    func isBlank(_ i: Int) -> Bool { lines[i].text.trimmingCharacters(in: .whitespaces).isEmpty }

    /// The runs of non-blank lines from line `start` on (blocks, as WebVTT and SRT separate them).
    func blocks(from start: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = start
        while i < lines.count {
            if isBlank(i) {
                i += 1
                continue
            }
            var j = i
            while j < lines.count, !isBlank(j) { j += 1 }
            out.append(i..<j)
            i = j
        }
        return out
    }
}

/// A WebVTT or SRT file taken apart in order: the text between the cues' payloads kept as
/// written, each payload parsed into a cue.
struct TextTranscriptBuilder {
    let lines: TextLines
    private(set) var cues: [Transcript.Cue] = []
    private var pieces: [Transcript.Piece] = []
    private var kept = ""
    /// The first line not yet kept or taken as a payload.
    private var next = 0

    init(_ lines: TextLines) { self.lines = lines }

    /// Keeps the lines before line `end` as written.
    mutating func keep(upTo end: Int) {
        for l in lines.lines[next..<end] { kept += l.text + l.end }
        next = max(next, end)
    }

    /// Adds `cue`, whose payload lines end before line `end`.
    mutating func add(_ cue: Transcript.Cue, payloadEnd end: Int) {
        pieces.append(.verbatim(kept))
        kept = ""
        pieces.append(.payload(cues.count))
        cues.append(cue)
        next = end
    }

    /// The transcript, the lines after the last cue kept too.
    mutating func transcript(_ format: Transcript.Format, name: String) -> Transcript {
        keep(upTo: lines.lines.count)
        return Transcript.assemble(format: format, name: name, cues: cues, pieces: pieces + [.verbatim(kept)])
    }
}

/// A cue's timing line: "START --> END[ settings]"; times as "[h...:]mm:ss.ttt" (WebVTT) or
/// "hh:mm:ss,ttt" (SRT).
enum CueTiming {
    static func parse(_ line: String, separator: Character, name: String, lineNumber: Int) throws(TranscriptError) -> (Double, Double) {
        let parts = line.components(separatedBy: "-->")
        guard parts.count == 2 else { throw .malformed(name, line: lineNumber, "not a cue timing line (START --> END)") }
        let startText = parts[0].trimmingCharacters(in: .whitespaces)
        let endText = parts[1].trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
        guard let s = time(startText, separator: separator), let e = time(endText, separator: separator) else {
            throw .malformed(
                name, line: lineNumber,
                "malformed timestamp in \(line.debugDescription) (expected \(separator == "," ? "hh:mm:ss,mmm" : "[hh:]mm:ss.mmm"))")
        }
        return (s, e)
    }

    static func time(_ s: String, separator: Character) -> Double? {
        let pieces = s.split(separator: separator, omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces[1].count == 3, let ms = Int(pieces[1]), pieces[1].allSatisfy(\.isASCII) else { return nil }
        let hms = pieces[0].split(separator: ":", omittingEmptySubsequences: false)
        guard hms.count == 2 || hms.count == 3, hms.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        let values = hms.compactMap { Int($0) }
        guard values.count == hms.count else { return nil }
        let (h, m, sec) = values.count == 3 ? (values[0], values[1], values[2]) : (0, values[0], values[1])
        guard m < 60, sec < 60, hms.suffix(2).allSatisfy({ $0.count == 2 }) else { return nil }
        return Double(h * 3600 + m * 60 + sec) + Double(ms) / 1000
    }
}

/// W3C WebVTT: a "WEBVTT" header, then blocks separated by blank lines: cues (an optional
/// identifier, a timing line with optional settings, payload lines), NOTE, STYLE and REGION
/// blocks. A cue's speaker is its payload's leading voice span `<v Name>`.
enum WebVTT {
    static func parse(_ text: String, name: String) throws(TranscriptError) -> Transcript {
        let all = TextLines(text)
        let lines = all.lines
        guard let first = lines.first, first.text.hasPrefix("WEBVTT") || first.text.hasPrefix("\u{FEFF}WEBVTT") else {
            throw .malformed(name, line: 1, "a WebVTT file starts with \"WEBVTT\"")
        }
        var builder = TextTranscriptBuilder(all)
        // The header block runs to the first blank line; NOTE, STYLE and REGION blocks are kept
        // as they are with the text around the cues.
        let header = all.blocks(from: 0).first?.upperBound ?? lines.count
        for block in all.blocks(from: header) {
            let i = block.lowerBound, j = block.upperBound
            let head = lines[i].text
            if head.hasPrefix("NOTE") || head.hasPrefix("STYLE") || head.hasPrefix("REGION") { continue }
            let timingIndex = head.contains("-->") ? i : i + 1
            guard timingIndex < j, lines[timingIndex].text.contains("-->") else {
                throw .malformed(name, line: i + 1, "a cue without a timing line (START --> END)")
            }
            let (s, e) = try CueTiming.parse(lines[timingIndex].text, separator: ".", name: name, lineNumber: timingIndex + 1)
            builder.keep(upTo: timingIndex + 1)
            let payloadLines = lines[(timingIndex + 1)..<j]
            var payload = payloadLines.map(\.text).joined(separator: "\n")
            var speaker: String?, tagText: String?
            if payload.hasPrefix("<v"), let close = payload.firstIndex(of: ">") {
                let tag = payload[payload.index(payload.startIndex, offsetBy: 2)..<close]
                if tag.first == " " || tag.first == "." || tag.first == "\t" {
                    let nameStart = tag.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? tag.endIndex
                    let n = tag[nameStart...].trimmingCharacters(in: .whitespaces)
                    speaker = n.isEmpty ? nil : n
                    tagText = String(payload[...close])
                    payload = String(payload[payload.index(after: close)...])
                }
            }
            builder.add(
                Transcript.Cue(
                    start: s, end: e, text: payload, speaker: speaker, line: i + 1, lineEnd: payloadLines.last?.end ?? "",
                    originalSpeaker: speaker, originalPrefix: tagText),
                payloadEnd: j)
        }
        return builder.transcript(.webVTT, name: name)
    }

    static func payload(_ c: Transcript.Cue) -> String {
        let body = c.text.replacingOccurrences(of: "\n", with: c.lineEnd.isEmpty ? "\n" : c.lineEnd)
        guard let s = c.speaker else { return body + c.lineEnd }
        let tag = s == c.originalSpeaker ? (c.originalPrefix ?? "<v \(s)>") : "<v \(s)>"
        return tag + body + c.lineEnd
    }
}

/// SubRip: blocks of an index line, a timing line "hh:mm:ss,mmm --> hh:mm:ss,mmm" and text
/// lines, separated by blank lines. A speaker is written as a "Name: " prefix; read back from
/// one (of a name without spaces, as whisperX's "SPEAKER_00: " or "[SPEAKER_00]: ").
enum SubRip {
    static func parse(_ text: String, name: String) throws(TranscriptError) -> Transcript {
        let all = TextLines(text)
        let lines = all.lines
        var builder = TextTranscriptBuilder(all)
        for block in all.blocks(from: 0) {
            let i = block.lowerBound, j = block.upperBound
            let indexLine = lines[i].text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{FEFF}", with: "")
            guard !indexLine.isEmpty, indexLine.allSatisfy({ $0.isASCII && $0.isNumber }), i + 1 < j else {
                throw .malformed(name, line: i + 1, "an SRT block starts with its number, then a timing line")
            }
            let (s, e) = try CueTiming.parse(lines[i + 1].text, separator: ",", name: name, lineNumber: i + 2)
            builder.keep(upTo: i + 2)
            let payloadLines = lines[(i + 2)..<j]
            var payload = payloadLines.map(\.text).joined(separator: "\n")
            var speaker: String?
            if let colon = payload.firstIndex(of: ":"), payload[payload.index(after: colon)...].hasPrefix(" ") {
                var n = payload[..<colon]
                if n.hasPrefix("["), n.hasSuffix("]") { n = n.dropFirst().dropLast() }
                if n.hasPrefix("SPEAKER_") || n.hasPrefix("unknown"), !n.contains(where: \.isWhitespace) {
                    speaker = String(n)
                    payload = String(payload[payload.index(colon, offsetBy: 2)...])
                }
            }
            builder.add(
                Transcript.Cue(
                    start: s, end: e, text: payload, speaker: speaker, line: i + 1, lineEnd: payloadLines.last?.end ?? "",
                    originalSpeaker: speaker,
                    originalPrefix: speaker == nil ? nil : String(payloadLines.first?.text.prefix(while: { $0 != ":" }) ?? "")),
                payloadEnd: j)
        }
        return builder.transcript(.srt, name: name)
    }

    static func payload(_ c: Transcript.Cue) -> String {
        let body = c.text.replacingOccurrences(of: "\n", with: c.lineEnd.isEmpty ? "\n" : c.lineEnd)
        guard let s = c.speaker else { return body + c.lineEnd }
        let prefix = s == c.originalSpeaker ? (c.originalPrefix ?? s) : s
        return prefix + ": " + body + c.lineEnd
    }
}

/// Whisper's JSON (openai-whisper, whisperX): an object whose `segments` hold `start` and `end`
/// in seconds and `text`; whisperX adds `speaker`. Written back with each segment's `speaker`.
enum WhisperJSON {
    static func parse(_ bytes: [UInt8], name: String) throws(TranscriptError) -> Transcript {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw .malformed(name, line: 1, "not a JSON object")
        }
        guard let segments = object["segments"] as? [[String: Any]] else {
            throw .malformed(name, line: 1, "no \"segments\" list (whisper's JSON has segments with start, end and text)")
        }
        var cues: [Transcript.Cue] = []
        for (k, seg) in segments.enumerated() {
            guard let s = (seg["start"] as? NSNumber)?.doubleValue, let e = (seg["end"] as? NSNumber)?.doubleValue,
                let text = seg["text"] as? String
            else {
                throw .malformed(name, line: 1, "segment \(k + 1) lacks a numeric \"start\" or \"end\", or a \"text\"")
            }
            let speaker = seg["speaker"] as? String
            cues.append(Transcript.Cue(start: s, end: e, text: text, speaker: speaker, line: k + 1, originalSpeaker: speaker))
        }
        return Transcript.assemble(json: bytes, name: name, cues: cues)
    }

    static func write(_ bytes: [UInt8], cues: [Transcript.Cue]) -> String {
        var o = ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]) ?? [:]
        var segments = (o["segments"] as? [[String: Any]]) ?? []
        for (k, c) in cues.enumerated() where k < segments.count {
            // A segment without a speaker has no "speaker" key, as whisper writes it.
            segments[k]["speaker"] = c.speaker
        }
        o["segments"] = segments
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
