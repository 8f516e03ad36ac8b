import ArgumentParser
import Foundation

/// The CLI's JSON: one line per object, keys sorted.
enum SpeakerIDCLI {
    /// JSON of library values for the CLI's output: keys in snake_case like every other key.
    static func snakeCaseEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }

    /// `v` as one line of JSON. A value JSON cannot hold (a NaN or an infinity that no option
    /// range kept out) ends the command with one line naming its key, never `{}` or part of
    /// an object; values meant to be absent are `NSNull` (`jnum`).
    static func json(_ v: Any) -> String {
        if let bad = firstUnencodable(v, at: "") {
            SpeakerIDCommand.exit(
                withError: CLIError(
                    "the result cannot be written as JSON: \(bad.isEmpty ? "a value" : bad) is not a finite number; please report this with the command that gave it"
                ))
        }
        guard let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) else {
            SpeakerIDCommand.exit(withError: CLIError("the result cannot be written as JSON; please report this with the command that gave it"))
        }
        return String(decoding: d, as: UTF8.self)
    }

    /// The key path of the first number JSON cannot hold in `v`, or nil.
    static func firstUnencodable(_ v: Any, at path: String) -> String? {
        switch v {
        case let d as Double: return d.isFinite ? nil : path
        case let f as Float: return f.isFinite ? nil : path
        case let o as [String: Any]:
            for k in o.keys.sorted() {
                if let bad = firstUnencodable(o[k] as Any, at: path.isEmpty ? k : path + "." + k) { return bad }
            }
            return nil
        case let a as [Any]:
            for (i, x) in a.enumerated() {
                if let bad = firstUnencodable(x, at: path + "[\(i)]") { return bad }
            }
            return nil
        default: return nil
        }
    }

    /// One clip's answer (`IdentificationAnswer`, `VerificationAnswer`) as one line of JSON,
    /// keys sorted: the same bytes the server sends. A number JSON cannot hold ends the command
    /// as `json(_:)` does.
    static func json(answer: some Encodable) -> String {
        do { return try json(encoding: answer) } catch {
            var key = "a value"
            if case EncodingError.invalidValue(_, let context) = error, !context.codingPath.isEmpty {
                key = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().replacingOccurrences(
                    of: ".[", with: "[")
                if key.hasPrefix(".") { key.removeFirst() }
            }
            SpeakerIDCommand.exit(
                withError: CLIError(
                    "the result cannot be written as JSON: \(key) is not a finite number; please report this with the command that gave it"))
        }
    }

    /// A library value's JSON, by its own snake_case coding keys, sorted as every other
    /// command's JSON is.
    static func json(encoding value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// Numbers for JSON: finite Doubles only (JSON has no NaN).
func jnum(_ x: Double) -> Any { x.isFinite ? x : NSNull() }
