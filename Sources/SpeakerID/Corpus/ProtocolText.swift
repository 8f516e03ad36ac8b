import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoding and splitting of protocol text, with positions for error messages.
enum ProtocolText {
    enum Ending: Sendable { case lf, crlf, cr, none }
    struct Line: Sendable {
        var number: Int
        var text: String
        var ending: Ending
    }

    /// The lines of a protocol file's bytes: UTF-8 (a byte-order mark is skipped) or UTF-16 with
    /// a byte-order mark; LF, CRLF and CR all end a line. Throws `CorpusError.badText` naming the
    /// line, column and byte for anything else.
    static func lines(of bytes: [UInt8], file: String) throws -> [Line] {
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw CorpusError.badText(
                file, line: 1, column: 1,
                problem:
                    "the file is a spreadsheet workbook (ZIP or Excel format), not text; save it from the spreadsheet as tab-separated text (\"Text (Tab delimited)\", UTF-8)"
            )
        }
        var splitter = Splitter(file: file)
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            let name = little ? "UTF-16LE" : "UTF-16BE"
            let body = bytes.dropFirst(2)
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var i = body.startIndex
            while i + 1 < body.endIndex {
                let a = UInt16(body[i]), b = UInt16(body[i + 1])
                units.append(little ? a | b << 8 : a << 8 | b)
                i += 2
            }
            var parser = Unicode.UTF16.ForwardParser()
            var it = units.makeIterator()
            var offset = 0
            loop: while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let e):
                    let s = Unicode.UTF16.decode(e)
                    offset += e.count
                    try splitter.add(s)
                case .error:
                    let unit = units[offset]
                    throw splitter.error(
                        "the \(name) code unit 0x\(hex(unit, 4)) at line \(splitter.line), column \(splitter.column) is half of a character whose other half is missing (the file is damaged or cut short)"
                    )
                case .emptyInput:
                    break loop
                }
            }
            if body.count % 2 == 1 {
                throw splitter.error(
                    "the file is \(name) (it starts with a byte-order mark) but ends in the middle of a character, after line \(splitter.line), column \(splitter.column) (the file is cut short)"
                )
            }
        } else {
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
            var parser = Unicode.UTF8.ForwardParser()
            var it = body.makeIterator()
            var offset = body.startIndex
            loop: while true {
                switch parser.parseScalar(from: &it) {
                case .valid(let e):
                    let s = Unicode.UTF8.decode(e)
                    offset += e.count
                    if s == "\0" {
                        throw splitter.error(
                            "a NUL byte (0x00) at line \(splitter.line), column \(splitter.column) has no place in a text file (\(nulHint(bytes)))")
                    }
                    try splitter.add(s)
                case .error:
                    let b = body[offset]
                    var what = "byte 0x\(hex(b, 2))"
                    if let c = windows1252(b) { what += " (\"\(c)\" in Windows-1252/Latin-1)" }
                    throw splitter.error(
                        "\(what) at line \(splitter.line), column \(splitter.column) is not UTF-8 (the file looks like Windows-1252/Latin-1; save it as UTF-8)"
                    )
                case .emptyInput:
                    break loop
                }
            }
        }
        return splitter.finish()
    }

    /// Fields of one line: split at tabs, each trimmed of surrounding spaces and, when wrapped in
    /// double quotes, unquoted (`""` inside stands for `"`).
    static func fields(of text: String, line: Int, file: String) throws -> [String] {
        let s = Array(text.unicodeScalars)
        let n = s.count
        func isSpace(_ c: Unicode.Scalar) -> Bool { c != "\t" && c.properties.isWhitespace }
        var fields: [String] = []
        var i = 0
        while true {
            var j = i
            while j < n, isSpace(s[j]) { j += 1 }
            var k = j
            if j < n, s[j] == "\"" {
                var value = String.UnicodeScalarView()
                var closed = false
                k = j + 1
                while k < n {
                    if s[k] == "\"" {
                        if k + 1 < n, s[k + 1] == "\"" {
                            value.append("\"")
                            k += 2
                            continue
                        }
                        closed = true
                        k += 1
                        break
                    }
                    value.append(s[k])
                    k += 1
                }
                if !closed {
                    throw CorpusError.badRow(
                        file, line: line,
                        reason:
                            "the double quote at column \(j + 1) (field \(fields.count + 1)) is not closed on this line (a line break inside a quoted cell is not allowed)"
                    )
                }
                while k < n, s[k] != "\t" {
                    if !isSpace(s[k]) {
                        throw CorpusError.badRow(
                            file, line: line,
                            reason:
                                "\(String(s[k]).debugDescription) at column \(k + 1) follows the closing quote of field \(fields.count + 1); a quoted field ends at its closing quote (write a quote inside it as \"\")"
                        )
                    }
                    k += 1
                }
                fields.append(String(value).trimmingCharacters(in: .whitespaces))
            } else {
                while k < n, s[k] != "\t" { k += 1 }
                var v = String.UnicodeScalarView()
                v.append(contentsOf: s[j..<k])
                fields.append(String(v).trimmingCharacters(in: .whitespaces))
            }
            if k >= n { break }
            i = k + 1
        }
        return fields
    }

    /// Why a line without tabs that should have `expectedColumns` columns probably has none:
    /// commas or semicolons (a spreadsheet's CSV export) or runs of spaces (an editor that turns
    /// tabs into spaces); nil when the line has tabs or no such look.
    static func separatorHint(_ text: String, expectedColumns: Int) -> String? {
        guard expectedColumns > 1, !text.contains("\t") else { return nil }
        for (sep, name) in [(",", "commas"), (";", "semicolons")] where text.split(separator: Character(sep)).count >= min(expectedColumns, 3) {
            return
                "the line seems to use \(name) instead of tabs (a spreadsheet's CSV export?): save it as tab-separated text (\"Text (Tab delimited)\") or replace the \(name) by tabs"
        }
        if text.trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " }).count >= min(expectedColumns, 3) {
            return "the line has spaces but no tabs between its columns (an editor that turns tabs into spaces?): separate the columns by tabs"
        }
        return nil
    }

    /// Splits decoded text into lines, refusing characters that have no place in it.
    struct Splitter {
        let file: String
        var lines: [Line] = []
        var current = String.UnicodeScalarView()
        var line = 1
        var column = 1
        var afterCR = false

        init(file: String) { self.file = file }

        func error(_ problem: String) -> CorpusError { .badText(file, line: line, column: column, problem: problem) }

        mutating func add(_ s: Unicode.Scalar) throws {
            switch s {
            case "\r":
                end(.cr)
                afterCR = true
            case "\n":
                if afterCR {
                    lines[lines.count - 1].ending = .crlf
                    afterCR = false
                } else {
                    end(.lf)
                }
            default:
                afterCR = false
                if s == "\0" {
                    throw error(
                        "a NUL character (U+0000) at line \(line), column \(column) has no place in a text file (the file is damaged or not text)")
                }
                if s != "\t", s.properties.generalCategory == .control {
                    throw error(
                        "\(Self.controlName(s)) at line \(line), column \(column) has no place in a protocol file (only text, tabs between the columns and line breaks): remove it"
                    )
                }
                if s == "\u{FEFF}" {
                    throw error(
                        "an invisible byte-order mark (U+FEFF) at line \(line), column \(column), in the middle of the file (were two files joined?): remove it"
                    )
                }
                current.append(s)
                column += 1
            }
        }

        mutating func end(_ ending: Ending) {
            lines.append(Line(number: line, text: String(current), ending: ending))
            current = String.UnicodeScalarView()
            line += 1
            column = 1
        }

        mutating func finish() -> [Line] {
            if !current.isEmpty { end(.none) }
            return lines
        }

        static func controlName(_ s: Unicode.Scalar) -> String {
            let names: [UInt32: String] = [
                0x0B: "vertical tab", 0x0C: "form feed", 0x1A: "end-of-file mark (Ctrl-Z)", 0x1B: "escape", 0x7F: "delete", 0x85: "next-line",
            ]
            let code = "U+\(hex(s.value, 4))"
            return names[s.value].map { "the control character \($0) (\(code))" } ?? "the control character \(code)"
        }
    }

    /// What a NUL byte in a would-be UTF-8 file suggests.
    static func nulHint(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(400)
        var even = 0, odd = 0
        for (i, b) in head.enumerated() where b == 0 { if i % 2 == 0 { even += 1 } else { odd += 1 } }
        if head.count >= 4, max(even, odd) * 4 >= head.count, min(even, odd) * 4 < max(even, odd) {
            return "the file looks like UTF-16 without a byte-order mark; save it as UTF-8"
        }
        return "the file is damaged or not text"
    }

    /// The character `b` stands for in Windows-1252 (Latin-1 for 0xA0–0xFF), for non-ASCII bytes.
    static func windows1252(_ b: UInt8) -> String? {
        if b >= 0xA0 { return Unicode.Scalar(b).properties.isWhitespace ? nil : String(Unicode.Scalar(b)) }
        guard b >= 0x80 else { return nil }
        let table: [UInt32] = [
            0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
            0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
        ]
        let v = table[Int(b - 0x80)]
        return v == 0 ? nil : Unicode.Scalar(v).map { String($0) }
    }
}

private func hex<T: BinaryInteger>(_ v: T, _ digits: Int) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, digits - s.count)) + s
}
