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
