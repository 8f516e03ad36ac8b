import Foundation
import Hummingbird
import SpeakerID

/// The web page (Sources/speakerid-server/Public: plain HTML, CSS and JavaScript, no build
/// step), read once at start and served at `/`.
struct WebPage: Sendable {
    struct File: Sendable {
        var data: Data
        var contentType: String
    }

    /// By the path it is served at.
    let files: [String: File]

    static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
    ]

    /// The page's files: index.html (also at `/`), app.js, style.css, worklet.js.
    static let names = ["index.html", "app.js", "style.css", "worklet.js"]

    /// The files beside the executable (its resource bundle).
    static func load() throws(WebPageError) -> WebPage {
        guard let folder = Bundle.module.url(forResource: "Public", withExtension: nil) else {
            throw WebPageError(description: "the web page's files (Public) are missing beside the executable")
        }
        var files: [String: File] = [:]
        for name in names {
            guard let data = FileManager.default.contents(atPath: PathName.join(folder.path, name)) else {
                throw WebPageError(description: "the web page's \(name) is missing beside the executable")
            }
            let type = contentTypes[String(name.split(separator: ".").last ?? "")] ?? "application/octet-stream"
            files["/" + name] = File(data: data, contentType: type)
        }
        files["/"] = files["/index.html"]
        return WebPage(files: files)
    }

    /// Scripts, styles, audio and connections from this server only.
    static let securityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"

    func response(_ path: String) -> Response? {
        guard let f = files[path] else { return nil }
        return Response(
            status: .ok,
            headers: [
                .contentType: f.contentType, .cacheControl: "no-cache", .contentSecurityPolicy: Self.securityPolicy,
                .xContentTypeOptions: "nosniff",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: f.data)))
    }
}

struct WebPageError: Error, CustomStringConvertible {
    var description: String
}
