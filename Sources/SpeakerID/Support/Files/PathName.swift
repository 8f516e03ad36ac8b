#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Path arithmetic on the strings users type, in one place.
///
/// swift-corelibs-foundation's `NSString` path API traps on some short strings
/// (`("a" as NSString).deletingLastPathComponent` is SIGILL on Linux, as are ".", "a/" and "é"),
/// and `URL(fileURLWithPath:)` resolves against the working folder. These functions only split
/// and join on "/" (POSIX), never touch the file system, never trap, and give the same answers
/// on Linux and macOS. They follow POSIX `dirname`/`basename` (and Python's `os.path`) where
/// those agree, as `PathNameTests` checks case by case.
public enum PathName {
    /// The folder holding `path`: "." for a bare name ("a", "a/", ""), "/" for "/" and "/a",
    /// "a" for "a/b" and "a//b/".
    public static func parent(of path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        if trimmed == "/" { return "/" }
        guard let cut = trimmed.lastIndex(of: "/") else { return "." }
        let head = withoutTrailingSlashes(String(trimmed[..<cut]))
        return head.isEmpty ? "/" : head
    }

    /// The last component of `path`, without trailing slashes: "b" for "a/b/", "/" for "/",
    /// "" for "".
    public static func lastComponent(_ path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        if trimmed == "/" { return "/" }
        guard let cut = trimmed.lastIndex(of: "/") else { return trimmed }
        return String(trimmed[trimmed.index(after: cut)...])
    }

    /// `name` inside `folder` ("a" + "b" = "a/b"; "a/" + "b" = "a/b"; "" + "b" = "b").
    public static func join(_ folder: String, _ name: String) -> String {
        if folder.isEmpty { return name }
        if name.isEmpty { return folder }
        if name.hasPrefix("/") { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The extension of the last component, without its dot ("flac" for "x/a.flac"); "" when
    /// it has none or is a dot file (".bashrc"), ".", or "..".
    public static func pathExtension(_ path: String) -> String {
        let name = lastComponent(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// `path` without the extension of its last component ("x/a.flac" gives "x/a"; ".bashrc"
    /// stays). Trailing slashes are dropped.
    public static func deletingExtension(_ path: String) -> String {
        let trimmed = withoutTrailingSlashes(path)
        let ext = pathExtension(trimmed)
        return ext.isEmpty ? trimmed : String(trimmed.dropLast(ext.count + 1))
    }

    /// The last component without its extension ("a" for "x/a.flac").
    public static func stem(_ path: String) -> String { deletingExtension(lastComponent(path)) }

    /// `path` made absolute against the working folder and normalised without touching the
    /// file system: "." and empty components dropped, ".." taking off the component before
    /// it (not above "/"), no trailing slash. "m" in /home/x is "/home/x/m"; "a/../b/" is
    /// "/home/x/b".
    public static func absolute(_ path: String) -> String {
        var base = path.hasPrefix("/") ? "" : workingFolder()
        if !path.hasPrefix("/") && base.isEmpty { base = "/" }
        var parts: [Substring] = []
        for component in (base + "/" + path).split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(component)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The process's working folder ("" when it cannot be told).
    static func workingFolder() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` without trailing slashes, except that "/" (or "//") stays "/".
    static func withoutTrailingSlashes(_ path: String) -> String {
        var s = Substring(path)
        while s.count > 1, s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}
