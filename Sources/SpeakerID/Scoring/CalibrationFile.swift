import Foundation

/// The calibration file: versioned, checksummed JSON (docs/formats.md).
extension Calibration {
    static let magic = "speakerid-calibration"

    /// The file: a first line naming the format and version, the calibration as JSON, and a
    /// last line with the CRC-64 of everything before it.
    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted]
        e.keyEncodingStrategy = .convertToSnakeCase
        // gmm calibrations stay version 3, which SpeakerID before the d-vector system reads; a
        // d-vector or fusion calibration is 4, which it refuses instead of misusing.
        let version = system == .gmm && parts == nil ? Self.gmmFormatVersion : Self.formatVersion
        let body = Array("\(Self.magic) \(version)\n".utf8) + Array(try e.encode(self)) + Array("\n".utf8)
        return body + Array(String(format: "crc64 %016llx\n", CRC64.checksum(body)).utf8)
    }

    /// Reads a calibration file, refusing another format, a future version, a damaged file.
    public static func decode(_ bytes: [UInt8], name: String) throws(CalibrationError) -> Calibration {
        func bad(_ r: String) -> CalibrationError { .unreadable(name, reason: r) }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw bad("not text") }
        guard text.hasPrefix(magic + " ") else { throw bad("it does not start with \"\(magic)\"; make one with speakerid calibrate") }
        guard let newline = text.firstIndex(of: "\n"), let version = Int(text[text.index(text.startIndex, offsetBy: magic.count + 1)..<newline])
        else {
            throw bad("no format version on the first line")
        }
        guard version <= formatVersion else {
            throw bad("format version \(version) is newer than this SpeakerID reads (\(formatVersion)); update SpeakerID")
        }
        guard supportedVersions.contains(version) else {
            throw bad(
                "format version \(version) was never written by SpeakerID (it reads versions \(supportedVersions.lowerBound) to \(supportedVersions.upperBound))"
            )
        }
        let trimmed = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard let last = trimmed.lastIndex(of: "\n") else { throw bad("no checksum line") }
        let checkLine = trimmed[trimmed.index(after: last)...]
        let body = Array(trimmed[...last].utf8)
        guard checkLine.hasPrefix("crc64 ") else { throw bad("no checksum line") }
        // Compared as written (lower-case hex), so no byte of the line can change unnoticed.
        guard checkLine == String(format: "crc64 %016llx", CRC64.checksum(body)) else {
            throw bad("checksum mismatch: the file is damaged or was edited")
        }
        let json = body[(text.utf8.distance(from: text.startIndex, to: newline) + 1)...]
        let d = JSONDecoder()
        d.keyDecodingStrategy = .custom { path in SnakeCaseKey(camelCaseOf: path[path.count - 1].stringValue) }
        let decoded: Calibration
        do { decoded = try d.decode(Calibration.self, from: Data(json)) } catch {
            var what = ""
            if case .keyNotFound(let k, _) = error as? DecodingError { what = ": \(k.stringValue) is missing" }
            if case .typeMismatch(_, let ctx) = error as? DecodingError {
                what = ": \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
            }
            if case .dataCorrupted(let ctx) = error as? DecodingError {
                what = ": \(ctx.codingPath.map(\.stringValue).joined(separator: ".")) \(ctx.debugDescription)"
            }
            throw bad("its contents do not describe a calibration\(what)")
        }
        var c = decoded
        c.fileVersion = version
        if c.system == .fusion {
            guard let parts = c.parts, parts.count == 2, parts[0].system == .gmm, parts[1].system == .dvector, c.weights.count == 3,
                c.weights.allSatisfy(\.isFinite), c.weights[0] >= 0, c.weights[1] >= 0, c.weights[0] + c.weights[1] > 0,
                parts.allSatisfy({ $0.parts == nil && $0.weights.count == ($0.quality == .none ? 2 : 6) && $0.weights.allSatisfy(\.isFinite) })
            else {
                throw bad("a fusion calibration needs its gmm and dvector parts and three weights, the first two not negative")
            }
            return c
        }
        if c.parts != nil { throw bad("only a fusion calibration has parts") }
        let expected = c.quality == .none ? 2 : 6
        guard c.weights.count == expected else {
            throw bad("\(c.weights.count) weights, but quality \(c.quality.rawValue) takes \(expected)")
        }
        guard c.weights.allSatisfy(\.isFinite) else { throw bad("a weight is not a finite number") }
        guard c.trainingPrior > 0 && c.trainingPrior < 1 else {
            throw bad("training_prior \(c.trainingPrior) is not a probability strictly between 0 and 1")
        }
        for (what, lo, hi) in [("test", c.minTestSeconds, c.maxTestSeconds), ("enrol", c.minEnrolSeconds, c.maxEnrolSeconds)] {
            guard (lo == nil) == (hi == nil) else { throw bad("min_\(what)_seconds and max_\(what)_seconds come together") }
            if let lo, let hi, !(lo > 0 && lo <= hi && hi.isFinite) {
                throw bad("min_\(what)_seconds \(lo) and max_\(what)_seconds \(hi) are not a range of positive durations")
            }
        }
        switch c.quality {
        case .none:
            guard c.weights[0] > 0 else { throw bad("its LLRs fall as scores rise (slope \(c.weights[0]))") }
        case .duration:
            guard let test = c.testSecondsRange, let enrol = c.enrolSecondsRange else {
                throw bad(
                    version < 3
                        ? "a format-\(version) duration calibration does not record the durations it was trained on, outside which its LLRs can fall as scores rise; fit it again with speakerid calibrate"
                        : "a duration calibration needs min_test_seconds, max_test_seconds, min_enrol_seconds and max_enrol_seconds")
            }
            for (t, e) in corners(test: test, enrol: enrol) where !(dot(c.weights, slopeRow(testSeconds: t, enrolSeconds: e)) > 0) {
                throw bad("its LLRs fall as scores rise at \(t) s of test speech and \(e) s of enrolment")
            }
        }
        return c
    }

    /// Writes the calibration file atomically, as models are written.
    public func save(to path: String) throws {
        try AtomicFile.write(try encoded(), to: path)
    }

    /// Reads a calibration file from disk.
    public static func load(path: String) throws(CalibrationError) -> Calibration {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw .unreadable(path, reason: "no such file") }
        guard !isDir.boolValue else { throw .unreadable(path, reason: "is a folder") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path, reason: "cannot be read") }
        return try decode(Array(data), name: path)
    }
}

/// A snake_case key read back as the property it was written from: "threshold_db" is
/// `thresholdDB`, as JSONEncoder's snake_case conversion writes the acronym.
struct SnakeCaseKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(camelCaseOf snake: String) {
        let parts = snake.split(separator: "_")
        var out = parts.first.map(String.init) ?? snake
        for p in parts.dropFirst() {
            out += Self.acronyms.contains(String(p)) ? p.uppercased() : p.prefix(1).uppercased() + p.dropFirst()
        }
        stringValue = out
    }

    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Parts written in capitals in the property names (`thresholdDB`, `floorDB`, `removeDCOffset`).
    static let acronyms: Set<String> = ["db", "dc"]
}
