import Foundation
import Testing

/// The README is a guide and the reference lives in `docs/`: every relative link in them, and
/// in the other Markdown pages of the repository, points at a file or folder that exists, and
/// every page of `docs/` is reachable from the README.
struct DocumentationLinkTests {
    static let pages = ["README.md", "CHANGELOG.md", "corpora/README.md", "models/README.md"]

    /// The Markdown pages checked: the list above and everything under docs/.
    static func markdownPages() throws -> [String] {
        let docs = Readme.root.appendingPathComponent("docs").path
        let files = try #require(FileManager.default.enumerator(atPath: docs))
        return pages + files.compactMap { $0 as? String }.filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }.sorted()
    }

    /// Targets of `[text](target)` links, without anchors; web links left out.
    static func links(in text: String) -> [String] {
        text.matches(of: /\]\(([^)\s]+)\)/).map { String($0.output.1) }
            .filter { !$0.hasPrefix("http://") && !$0.hasPrefix("https://") && !$0.hasPrefix("#") && !$0.hasPrefix("mailto:") }
            .map { String($0.split(separator: "#", maxSplits: 1).first ?? "") }
    }

    @Test func everyRelativeLinkResolves() throws {
        var broken: [String] = []
        for page in try Self.markdownPages() {
            let text = try String(contentsOf: Readme.root.appendingPathComponent(page), encoding: .utf8)
            let folder = Readme.root.appendingPathComponent(page).deletingLastPathComponent()
            for target in Self.links(in: text)
            where !FileManager.default.fileExists(atPath: folder.appendingPathComponent(target).standardizedFileURL.path) {
                broken.append("\(page): \(target)")
            }
        }
        #expect(broken.isEmpty, "links to nothing: \(broken)")
    }

    @Test func everyDocsPageIsLinkedFromTheReadmeOrAPageItLinks() throws {
        let pages = try Self.markdownPages().filter { $0.hasPrefix("docs/") }
        #expect(pages.count >= 8)
        let readme = try Readme.text()
        var reached = Set(Self.links(in: readme).map { URL(fileURLWithPath: $0, relativeTo: Readme.root).standardizedFileURL.path })
        for page in pages {
            let text = try String(contentsOf: Readme.root.appendingPathComponent(page), encoding: .utf8)
            let folder = Readme.root.appendingPathComponent(page).deletingLastPathComponent()
            reached.formUnion(Self.links(in: text).map { folder.appendingPathComponent($0).standardizedFileURL.path })
        }
        let unreached = pages.filter { !reached.contains(Readme.root.appendingPathComponent($0).standardizedFileURL.path) }
        #expect(unreached.isEmpty, "pages nothing links to: \(unreached)")
    }

    /// The README stays a guide: two commands first, and about 250 lines at most.
    @Test func theReadmeIsAGuide() throws {
        let readme = try Readme.text()
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 300, "README.md has \(lines.count) lines; move reference and results to docs/")
        let firstBlock = try #require(readme.firstRange(of: "```sh\n"))
        let block = readme[firstBlock.upperBound...].prefix { $0 != "`" }
        #expect(
            block.split(separator: "\n").map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["bash corpora/demo.sh", "swift test"])
    }
}
