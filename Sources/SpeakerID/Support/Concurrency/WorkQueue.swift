import Foundation

/// Hands out the indices 0..<count, each once, to whichever worker asks next: dynamic load
/// balancing for workers whose results do not depend on which items they took (exact sums).
final class WorkQueue: @unchecked Sendable {
    // @unchecked: `position` is only touched under `lock`.
    private let lock = NSLock()
    private var position = 0
    let count: Int

    init(count: Int) { self.count = count }

    /// The next index, or nil when every one has been handed out.
    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard position < count else { return nil }
        position += 1
        return position - 1
    }
}
