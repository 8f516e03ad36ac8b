import Foundation
import Testing

/// Every public type, initialiser and function of the library carries a doc comment.
struct DocumentationTests {
    @Test func everyPublicTypeAndFunctionIsDocumented() throws {
        let sources = Repository.root.appendingPathComponent("Sources/SpeakerID")
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20)
        let declaration = try Regex(#"^public (static |mutating |convenience |final )*(func|struct|enum|class|init|protocol)\b"#)
        var undocumented: [String] = []
        for f in files {
            let lines = try String(contentsOf: sources.appendingPathComponent(f), encoding: .utf8).components(separatedBy: "\n")
            for (i, line) in lines.enumerated() {
                let s = line.trimmingCharacters(in: .whitespaces)
                guard s.firstMatch(of: declaration) != nil || s.hasPrefix("public init") else { continue }
                var j = i - 1
                while j >= 0 && lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("@") { j -= 1 }
                if j < 0 || !lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("///") { undocumented.append("\(f):\(i + 1)") }
            }
        }
        #expect(undocumented.isEmpty, "undocumented: \(undocumented.joined(separator: ", "))")
    }
}
