import Foundation

/// Why a speaker name cannot be used.
public enum SpeakerNameError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case controlCharacter(String)
    case tooLong(String, bytes: Int)
    case surroundingSpace(String)
    case reserved(String)
    /// A name a timeline gives unknown speech ("unknown", "unknown-2"), refused for new speakers.
    case unknownLabel(String)

    public var description: String {
        switch self {
        case .empty: return "speaker name is empty"
        case .controlCharacter(let n): return "speaker name \(n.debugDescription) contains a control character (NUL, newline, ...)"
        case .tooLong(let n, let b):
            return "speaker name \(String(n.prefix(40)).debugDescription)... is \(b) bytes of UTF-8; the limit is \(SpeakerName.maximumBytes)"
        case .surroundingSpace(let n):
            return "speaker name \(n.debugDescription) begins or ends with white space (\"bob \" and \"bob\" would look alike); remove it"
        case .unknownLabel(let n):
            return
                "speaker name \(n.debugDescription) is how who-spoke-when labels speech of nobody enrolled (\"unknown\", \"unknown-1\", ...); choose another name"
        case .reserved(let n):
            return "speaker name \(n.debugDescription) begins with '<', which SpeakerID reserves for decisions such as <unknown> and <too short>"
        }
    }
}

/// A validated speaker name and the file name it is stored under.
///
/// Names are Unicode-normalised (NFC), so two spellings of the same text are the same
/// speaker. The file name keeps only [a-z0-9_-] and writes every other UTF-8 byte, upper-case
/// letters included, as %XX: no name can contain a path separator or "..", and names that
/// differ only in case get different files even on case-insensitive file systems.
public struct SpeakerName: Hashable, Sendable, CustomStringConvertible {
    public static let maximumBytes = 80
    public static let fileExtension = "gmm"

    public let value: String
    public let fileName: String

    /// Validates and normalises a speaker name.
    public init(_ raw: String) throws(SpeakerNameError) {
        let name = raw.precomposedStringWithCanonicalMapping
        if name.isEmpty { throw .empty }
        if let f = name.unicodeScalars.first, let l = name.unicodeScalars.last,
            f.properties.isWhitespace || l.properties.isWhitespace
        {
            if name.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) { throw .empty }
            throw .surroundingSpace(name)
        }
        if name.hasPrefix("<") { throw .reserved(name) }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            throw .controlCharacter(name)
        }
        let bytes = Array(name.utf8)
        if bytes.count > Self.maximumBytes { throw .tooLong(name, bytes: bytes.count) }
        var file = ""
        for b in bytes {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "-"):
                file.append(Character(UnicodeScalar(b)))
            default:
                file += String(format: "%%%02X", b)
            }
        }
        value = name
        fileName = file + "." + Self.fileExtension
    }

    /// A name for a speaker about to be enrolled, or renamed to: as `init(_:)`, and refusing
    /// the labels of unknown speech (`isUnknownLabel`), which a timeline could not tell apart.
    /// Names already in a folder are looked up with `init(_:)`, so such a speaker enrolled
    /// before this rule can still be renamed or removed.
    public init(newSpeaker raw: String) throws(SpeakerNameError) {
        try self.init(raw)
        if Self.isUnknownLabel(value) { throw .unknownLabel(value) }
    }

    /// Whether `name` is a label of unknown speech: `unknown`, or `unknown-N` for a cluster N.
    public static func isUnknownLabel(_ name: String) -> Bool {
        if name == "unknown" { return true }
        guard name.hasPrefix("unknown-") else { return false }
        let rest = name.dropFirst("unknown-".count)
        return !rest.isEmpty && rest.allSatisfy(\.isNumber)
    }

    public var description: String { value }

    /// The speaker name a model file name encodes (the inverse of `fileName`), or nil for a
    /// name no `SpeakerName` produces.
    public static func decode(fileName: String) -> String? {
        guard fileName.hasSuffix("." + fileExtension) else { return nil }
        let stem = Array(fileName.dropLast(fileExtension.count + 1).utf8)
        var bytes: [UInt8] = []
        var i = 0
        while i < stem.count {
            if stem[i] == UInt8(ascii: "%") {
                guard i + 2 < stem.count, let b = UInt8(String(decoding: stem[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(b)
                i += 3
            } else {
                bytes.append(stem[i])
                i += 1
            }
        }
        guard let s = String(validating: bytes, as: UTF8.self), (try? SpeakerName(s))?.fileName == fileName else { return nil }
        return s
    }
}
