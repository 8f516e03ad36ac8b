/// Shard `index` of `count` of a list (recordings, speakers, test files): the items whose
/// position p in the list has p mod count == index. The partition depends only on the list,
/// the count and the index, never on threads or machines, and round-robin spreads each
/// speaker's recordings over the shards, so shards carry similar work.
public struct Shard: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// The largest shard count accepted.
    public static let maximumCount = 100_000
    /// Everything: shard 0 of 1.
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex: Int, count: Int) {
        index = uncheckedIndex
        self.count = count
    }

    /// Shard `index` of `count`; refuses an index outside 0..<count or a count outside
    /// 1...maximumCount.
    public init(index: Int, count: Int) throws(ShardError) {
        guard count >= 1, count <= Self.maximumCount, index >= 0, index < count else { throw .invalid("\(index)/\(count)") }
        self.index = index
        self.count = count
    }

    /// "I/N", as the command line writes it.
    public init(parsing text: String) throws(ShardError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { throw .invalid(text) }
        try self.init(index: i, count: n)
    }

    /// Whether the item at `position` of the list belongs to this shard.
    public func contains(_ position: Int) -> Bool { position % count == index }

    /// The items of `list` in this shard, in list order.
    public func select<T>(_ list: [T]) -> [T] {
        count == 1 ? list : list.enumerated().filter { contains($0.offset) }.map(\.element)
    }

    /// "I/N".
    public var description: String { "\(index)/\(count)" }
}

/// Why a shard specification was refused.
public enum ShardError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let s):
            let form = "give INDEX/COUNT with 0 <= INDEX < COUNT <= \(Shard.maximumCount), e.g. 0/4 for the first of 4 shards"
            let parts = s.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) {
                if n < 1 || n > Shard.maximumCount { return "shard \"\(s)\": the count \(n) is not 1 to \(Shard.maximumCount); \(form)" }
                return "shard \"\(s)\": the index \(i) is not 0 to \(n - 1); \(form)"
            }
            return "shard \"\(s)\" is not INDEX/COUNT; \(form)"
        }
    }
}
