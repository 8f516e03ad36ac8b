import ArgumentParser
import Foundation
import SpeakerID

/// One item of a batch: its result, or the one line that says why it failed.
enum Outcome<T: Sendable>: Sendable {
    case done(T)
    case failed(String)

    /// The line that says why the item failed; empty for an item that did not.
    var failureMessage: String {
        if case .failed(let m) = self { return m }
        return ""
    }
}

/// Runs `body` for every item on `threads` workers; an item that throws becomes `.failed` with
/// its error's message instead of ending the batch, so every item is reported.
func batchMap<T: Sendable>(
    count: Int, threads: Int,
    _ body: @escaping @Sendable (Int) throws -> T
) async throws -> [Outcome<T>] {
    try await parallelMap(count: count, threads: threads) { i -> Outcome<T> in
        do { return .done(try body(i)) } catch { return .failed("\(error)") }
    }
}

/// The exit of a batch command: 0 when every item succeeded; 1 when any failed (their lines
/// went to standard error, the good items' results to standard output), unless `--skip-bad`
/// was given and at least one item succeeded.
func finishBatch(failed: Int, total: Int, skipBad: Bool, noun: String) throws {
    guard failed > 0 else { return }
    if skipBad && failed < total { return }
    if total > 1 { Console.warn("\(failed) of \(total) \(noun)s failed") }
    throw ExitCode.failure
}
