import ArgumentParser
import Foundation

/// An error whose message is for the user as it stands.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A usage error found after the options were parsed (exit 64, one line on standard error),
/// when only the inputs show it (a models folder with one speaker, say).
func usageError(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    return ExitCode(64)
}
