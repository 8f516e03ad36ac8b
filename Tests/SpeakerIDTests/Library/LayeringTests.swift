import Foundation
import Testing

/// The library's folders depend one way (README, Layout): Support → Audio → Features → Model →
/// Scoring → Evaluation → Tracking, with Corpus and Store beside them. Checked from the source:
/// no file names a type, a free function or an extension's static member declared in a folder
/// after its own (Support: in any other folder);
/// Corpus, which lists audio, is named by Model and above; Store, which holds models, by
/// Scoring and above; and neither names the layers that use it.
struct LayeringTests {
    static let order = ["Support", "Audio", "Features", "Model", "Scoring", "Evaluation", "Tracking"]
    static let beside = ["Corpus", "Store"]
    static var root: URL {
        Repository.root.appendingPathComponent("Sources/SpeakerID")
    }

    /// Each folder's Swift sources, its subfolders' included (Model/Encoder is Model), with
    /// comments and string literals removed.
    static func sources(_ folder: String) throws -> [(String, String)] {
        let dir = root.appendingPathComponent(folder)
        let files = (FileManager.default.subpaths(atPath: dir.path) ?? []).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(!files.isEmpty, "no sources in \(folder)")
        return try files.map { name in
            var text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            text = text.replacingOccurrences(of: #"//[^\n]*"#, with: "", options: .regularExpression)
            text = text.replacingOccurrences(of: #""(\\.|[^"\\\n])*""#, with: "\"\"", options: .regularExpression)
            return ("\(folder)/\(name)", text)
        }
    }

    /// Names of the types a folder declares at the top level or nested.
    static func declaredTypes(_ folder: String) throws -> Set<String> {
        var names: Set<String> = []
        let re = try NSRegularExpression(pattern: #"\b(?:struct|enum|class|protocol|typealias|actor)\s+([A-Z][A-Za-z0-9_]*)"#)
        // Generic parameters (`Key` of KeyedEncodingContainer, say) are not declared here.
        for (_, text) in try sources(folder) {
            for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let r = Range(m.range(at: 1), in: text) { names.insert(String(text[r])) }
            }
        }
        return names
    }

    /// Names of a folder's free functions (not private), and of the static members its
    /// extensions add to a type of any folder, written as `Type.member` (how they are used).
    static func declaredFunctions(_ folder: String) throws -> Set<String> {
        var names: Set<String> = []
        let free = try NSRegularExpression(pattern: #"(?m)^(?:public |internal |package )?func\s+([a-zA-Z_][A-Za-z0-9_]*)"#)
        let ext = try NSRegularExpression(pattern: #"(?m)^(?:public )?extension\s+([A-Z][A-Za-z0-9_]*)[^{]*\{"#)
        let member = try NSRegularExpression(
            pattern: #"(?m)^    (?:@[A-Za-z]+ )*(?:public |internal |package )?static (?:func|let|var)\s+([a-zA-Z_][A-Za-z0-9_]*)"#)
        for (_, text) in try sources(folder) {
            let all = NSRange(text.startIndex..., in: text)
            for m in free.matches(in: text, range: all) {
                if let r = Range(m.range(at: 1), in: text) { names.insert(String(text[r])) }
            }
            // Each extension's body runs to the next line that is a lone closing brace.
            for m in ext.matches(in: text, range: all) {
                guard let t = Range(m.range(at: 1), in: text), let open = Range(m.range, in: text) else { continue }
                let rest = text[open.upperBound...]
                let body = rest.range(of: "\n}").map { rest[..<$0.lowerBound] } ?? rest
                let b = String(body)
                for mm in member.matches(in: b, range: NSRange(b.startIndex..., in: b)) {
                    if let r = Range(mm.range(at: 1), in: b) { names.insert("\(text[t]).\(b[r])") }
                }
            }
        }
        return names
    }

    static func uses(_ text: String, of names: Set<String>) -> [String] {
        names.filter { name in
            // A free function is used where it is called; `Type.member` where it is named.
            let pattern =
                name.contains(".")
                ? "\\b\(name.replacingOccurrences(of: ".", with: "\\."))\\b"
                : name.first?.isLowercase == true ? "(?<![.\\w])\(name)\\(" : "\\b\(name)\\b"
            return text.range(of: pattern, options: .regularExpression) != nil
        }.sorted()
    }

    @Test func foldersDependOneWay() throws {
        let declared = try Dictionary(
            uniqueKeysWithValues: (Self.order + Self.beside).map {
                ($0, try Self.declaredTypes($0).union(try Self.declaredFunctions($0)))
            })
        // A name declared in two folders (a nested `Options`, say) proves nothing either way.
        var count: [String: Int] = [:]
        for names in declared.values { for n in names { count[n, default: 0] += 1 } }
        // Nor does a name the standard library also gives a meaning (a nested `Key` of some
        // type against KeyedEncodingContainer's associated `Key`).
        let standard: Set<String> = ["Key", "CodingKeys", "Element", "Index", "Value", "Options", "Result", "Error", "Iterator"]
        func own(_ folder: String) -> Set<String> { (declared[folder] ?? []).filter { count[$0] == 1 && !standard.contains($0) } }
        var violations: [String] = []
        for (i, folder) in Self.order.enumerated() {
            var forbidden = Set(Self.order[(i + 1)...].flatMap { own($0) })
            if i <= 2 { forbidden.formUnion(own("Corpus")) }  // Support, Audio, Features
            if i <= 3 { forbidden.formUnion(own("Store")) }  // ... and Model
            for (file, text) in try Self.sources(folder) {
                for name in Self.uses(text, of: forbidden) { violations.append("\(file) uses \(name)") }
            }
        }
        // Corpus stands on Audio, Store on Model: neither uses what comes after.
        let corpusForbidden = Set((Self.order[2...] + ["Store"]).flatMap { own($0) })
        let storeForbidden = Set((Self.order[4...] + ["Corpus"]).flatMap { own($0) })
        for (folder, forbidden) in [("Corpus", corpusForbidden), ("Store", storeForbidden)] {
            for (file, text) in try Self.sources(folder) {
                for name in Self.uses(text, of: forbidden) { violations.append("\(file) uses \(name)") }
            }
        }
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
        #expect(declared.values.allSatisfy { !$0.isEmpty }, "a folder declared no types: the scan is broken")
        // The scan sees free functions and extensions' static members, not only types.
        #expect(try Self.declaredFunctions("Corpus").contains("isAudioName"), "free functions are not seen")
        #expect(try Self.declaredFunctions("Store").contains("ModelStore.loadStatistics"), "extension members are not seen")
    }
}
