import COpenSSL
import Foundation

/// What a key may do: `use` identifies, verifies, tracks, streams and lists; `admin` also
/// enrols, renames and removes speakers.
enum Scope: String, Sendable, CaseIterable, Comparable {
    case use, admin

    static func < (a: Scope, b: Scope) -> Bool { a == .use && b == .admin }
}

/// Why a keys file cannot be used.
struct KeysFileError: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// The API keys the server accepts: the keys file's lines, `SCOPE SHA256-HEX-OF-KEY` (blank
/// lines and lines starting with `#` are skipped), so the file holds no secret. A request
/// carries the key itself, `Authorization: Bearer KEY`, and its SHA-256 is looked up.
struct APIKeys: Sendable, Equatable {
    /// Scope by the lowercase hex SHA-256 of the key.
    var scopes: [String: Scope]

    /// Bytes of a new key (before encoding): 256 bits.
    static let keyBytes = 32

    /// The lowercase hex SHA-256 of `key`'s UTF-8 bytes.
    static func digest(_ key: String) -> String {
        // Debian's libcrypto (OpenSSL); an empty key is hashed from a valid pointer too.
        let bytes = Array(key.utf8) + [0]
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var size: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, bytes.count - 1, out.baseAddress, &size, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only without memory; no key then matches any digest.
        guard ok == 1, size == 32 else { return "" }
        return digest.prefix(32).map { String(format: "%02x", $0) }.joined()
    }

    /// Parses a keys file's text; `name` names it in messages.
    static func parse(_ text: String, name: String) throws(KeysFileError) -> APIKeys {
        var scopes: [String: Scope] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2, let scope = Scope(rawValue: String(parts[0])) else {
                throw KeysFileError(description: "\(name), line \(i + 1): expected `use HEX` or `admin HEX` (a scope and the SHA-256 of a key)")
            }
            let hex = parts[1].lowercased()
            guard hex.count == 64, hex.allSatisfy({ $0.isHexDigit }) else {
                throw KeysFileError(
                    description:
                        "\(name), line \(i + 1): \(String(parts[1]).debugDescription) is not a SHA-256 in hex (64 hex digits); `speakerid-server new-key` prints a line"
                )
            }
            scopes[hex] = max(scopes[hex] ?? scope, scope)
        }
        if scopes.isEmpty {
            throw KeysFileError(description: "\(name): no keys (one `SCOPE SHA256HEX` a line; `speakerid-server new-key` makes one)")
        }
        return APIKeys(scopes: scopes)
    }

    /// Reads and parses a keys file.
    static func load(path: String) throws(KeysFileError) -> APIKeys {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeysFileError(
                description: "\(path): cannot read the keys file (\(FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw KeysFileError(description: "\(path): the keys file is not UTF-8 text") }
        return try parse(text, name: path)
    }

    /// The scope of the key a request carried, or nil for an unknown key.
    func scope(ofKey key: String) -> Scope? { scopes[Self.digest(key)] }

    /// A new random key (base64url, 43 characters) and its keys-file line.
    static func newKey(scope: Scope) -> (key: String, line: String) {
        var rng = SystemRandomNumberGenerator()  // the system's cryptographic generator
        let bytes = (0..<keyBytes).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let key =
            "sid_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (key, "\(scope.rawValue) \(digest(key))")
    }
}
