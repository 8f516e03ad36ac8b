import Foundation
import SpeakerID

/// Output to standard output or to a file written atomically.
struct OutputSink {
    private var buffer = ""
    let path: String?

    init(path: String?) { self.path = path }

    mutating func write(_ s: String) {
        if path == nil {
            FileHandle.standardOutput.write(Data(s.utf8))
        } else {
            buffer += s
        }
    }

    func finish() throws {
        guard let path else { return }
        do { try AtomicFile.write(Array(buffer.utf8), to: path) } catch { throw CLIError("\(path): cannot write output (\(error))") }
    }
}
