import Foundation
import SpeakerID

/// Refuses an output file that cannot be written, before any work: a folder of that name,
/// a folder to write into that does not exist (it is not created: a typing error would
/// make a folder tree unseen), is a file, or does not take files.
func checkOutputFile(_ path: String, option: String) throws {
    let what =
        ["--scores": "the scores file", "--report": "the report", "--out": "the output file", "--output": "the output file"][option] ?? "the output"
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
        throw CLIError("\(path): is a folder; \(option) takes a file name")
    }
    do { _ = try OutputLocation.prepareFile(path) } catch {
        if case .writeFailed(_, let reason) = error { throw CLIError("\(path): cannot write \(what) (\(reason))") }
        throw CLIError("\(error)")
    }
}
