import Foundation

/// How many worker tasks to use when the caller does not say: one per active core.
public func defaultThreadCount() -> Int {
    max(1, ProcessInfo.processInfo.activeProcessorCount)
}

/// Runs `body` for each index in `0..<count` on at most `threads` concurrent child tasks and
/// returns the results in index order, so the outcome never depends on the thread count.
///
/// Why a task group rather than `DispatchQueue.concurrentPerform`: cancellation and errors
/// propagate structurally, and callers stay `async`.
public func parallelMap<T: Sendable>(
    count: Int, threads: Int, _ body: @escaping @Sendable (Int) async throws -> T
) async throws -> [T] {
    if count == 0 { return [] }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        var out: [T] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            try Task.checkCancellation()
            out.append(try await body(i))
        }
        return out
    }
    return try await withThrowingTaskGroup(of: (Int, T).self) { group in
        var results = [T?](repeating: nil, count: count)
        var next = 0
        for _ in 0..<workers {
            let i = next
            next += 1
            group.addTask { (i, try await body(i)) }
        }
        while let (i, value) = try await group.next() {
            results[i] = value
            if next < count {
                let j = next
                next += 1
                group.addTask { (j, try await body(j)) }
            }
        }
        return results.map { $0! }
    }
}

/// Runs `body` for each index in `0..<count` on up to `threads` threads and blocks until all
/// are done; the outcomes come back in index order. For synchronous callers whose work is
/// reading and decoding files into separate results (a fork-join with nothing to cancel), where
/// `parallelMap` would make every caller `async`.
func blockingParallelMap<T: Sendable, E: Error>(
    count: Int, threads: Int, _ body: @Sendable (Int) throws(E) -> T
) -> [Result<T, E>] {
    let workers = max(1, min(threads, count))
    if workers == 1 { return (0..<count).map { i in Result { () throws(E) -> T in try body(i) } } }
    let outcomes = IndexedOutcomes<T, E>(count: count)
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        for i in stride(from: w, to: count, by: workers) {
            outcomes.set(i, Result { () throws(E) -> T in try body(i) })
        }
    }
    return outcomes.all()
}

/// Each index's outcome, set by the thread that produced it.
private final class IndexedOutcomes<T: Sendable, E: Error>: @unchecked Sendable {
    // @unchecked: `outcomes` is only touched under `lock`.
    private var outcomes: [Result<T, E>?]
    private let lock = NSLock()

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: Result<T, E>) {
        lock.lock()
        outcomes[i] = r
        lock.unlock()
    }

    /// Every outcome, in index order; concurrentPerform has returned, so each index was set.
    func all() -> [Result<T, E>] {
        lock.lock()
        defer { lock.unlock() }
        return outcomes.map { r in
            guard let r else { preconditionFailure("blockingParallelMap: an index was not run") }
            return r
        }
    }
}
