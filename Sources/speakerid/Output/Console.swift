import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Standard error, line by line.
enum Console {
    static let stderrIsTerminal = isatty(2) != 0

    static func warn(_ s: String) {
        FileHandle.standardError.write(Data(("speakerid: " + s + "\n").utf8))
    }

    static func progress(_ s: String, quiet: Bool) {
        if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) }
    }
}
