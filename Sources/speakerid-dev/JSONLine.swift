import ArgumentParser
import Foundation

/// An error whose message is for the user as it stands (exit status 1).
struct DevError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// One line of JSON as speakerid prints it (its Output/JSON.swift): keys sorted, and a number
/// JSON cannot hold (NaN, an infinity) ends the command with one line naming its key.
func jsonLine(_ v: Any) -> String {
    if let bad = firstUnencodable(v, at: "") {
        SpeakerIDDevCommand.exit(
            withError: DevError(
                "the result cannot be written as JSON: \(bad.isEmpty ? "a value" : bad) is not a finite number; please report this with the command that gave it"
            ))
    }
    guard let d = try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys]) else {
        SpeakerIDDevCommand.exit(withError: DevError("the result cannot be written as JSON; please report this with the command that gave it"))
    }
    return String(decoding: d, as: UTF8.self)
}

/// The key path of the first number JSON cannot hold in `v`, or nil.
private func firstUnencodable(_ v: Any, at path: String) -> String? {
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
