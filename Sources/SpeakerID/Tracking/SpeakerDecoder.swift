/// Who speaks in each block of frames: Viterbi decoding over speaker states with a minimum
/// duration and a penalty for every change (the resegmentation of Reynolds' group and of LIUM
/// SpkDiarization), decided with a fixed lag so it runs on an endless stream in constant memory.
///
/// Each state is a chain of `minimumBlocks` sub-states, so a state once entered is kept for at
/// least that many blocks; a change costs the penalty given with the block it starts. A block's
/// decision is committed once `lagBlocks` later blocks have been seen: the best path's state
/// there, traced back from the newest block. With a lag longer than any stretch where the best
/// paths disagree this is the exact Viterbi path.
struct SpeakerDecoder {
    let states: Int
    let minimumBlocks: Int
    let lagBlocks: Int
    /// Blocks committed per traceback.
    private let commitChunk: Int
    /// Scores of sub-state (s, k), k = min(blocks in s, D) - 1, at the newest block: delta[s * D + k].
    private var delta: [Double]
    private var scratch: [Double]
    /// Per block (a ring of `capacity` blocks): the speaker a chain was entered from, and
    /// whether a settled sub-state stayed settled (else it came up the chain).
    private var enteredFrom: [Int32]
    private var stayed: [Bool]
    private let capacity: Int
    /// Blocks pushed, and the first not yet committed.
    private(set) var pushed = 0
    private(set) var committed = 0

    init(states: Int, minimumBlocks: Int, lagBlocks: Int) {
        precondition(states >= 1)
        self.states = states
        self.minimumBlocks = max(1, minimumBlocks)
        self.lagBlocks = max(1, lagBlocks)
        commitChunk = max(1, self.lagBlocks / 4)
        capacity = self.lagBlocks + commitChunk + 2
        let D = self.minimumBlocks
        // Every state starts settled: a recording may begin with anyone, at no cost.
        delta = [Double](repeating: -.infinity, count: states * D)
        for s in 0..<states { delta[s * D + D - 1] = 0 }
        scratch = delta
        enteredFrom = [Int32](repeating: 0, count: capacity * states)
        stayed = [Bool](repeating: true, count: capacity * states)
    }

    /// Adds a block: each state's log-score for it, and the cost of a change of speaker at its
    /// start. Returns the states of the blocks committed now, oldest first.
    mutating func push(emissions e: [Double], changePenalty: Double) -> [Int] {
        precondition(e.count == states)
        let D = minimumBlocks, S = states
        // Best and second-best settled states, for entering a chain from any other speaker.
        var best = -1, second = -1
        for s in 0..<S {
            let v = delta[s * D + D - 1]
            if best < 0 || v > delta[best * D + D - 1] {
                second = best
                best = s
            } else if second < 0 || v > delta[second * D + D - 1] {
                second = s
            }
        }
        let slot = (pushed % capacity) * S
        var top = -Double.infinity
        for s in 0..<S {
            let from = s == best ? second : best
            let enter = from >= 0 ? delta[from * D + D - 1] - changePenalty : -.infinity
            enteredFrom[slot + s] = Int32(max(from, 0))
            let base = s * D
            if D == 1 {
                // One sub-state: the speaker a block came from is itself when it stayed.
                let stay = delta[base]
                if stay >= enter { enteredFrom[slot + s] = Int32(s) }
                scratch[base] = max(stay, enter) + e[s]
            } else {
                scratch[base] = enter + e[s]
                for k in 1..<(D - 1) { scratch[base + k] = delta[base + k - 1] + e[s] }
                let stay = delta[base + D - 1], climb = delta[base + D - 2]
                stayed[slot + s] = stay >= climb
                scratch[base + D - 1] = max(stay, climb) + e[s]
            }
            for k in 0..<D { top = max(top, scratch[base + k]) }
        }
        // Keep the scores bounded on an endless stream.
        if top.isFinite { for i in scratch.indices { scratch[i] -= top } }
        swap(&delta, &scratch)
        pushed += 1
        if pushed - committed >= lagBlocks + commitChunk { return commit(count: commitChunk) }
        return []
    }

    /// Commits every block not yet committed (the end of the stream).
    mutating func finish() -> [Int] {
        commit(count: pushed - committed)
    }

    /// Traces the best path back from the newest block and commits the oldest `count` blocks.
    private mutating func commit(count: Int) -> [Int] {
        guard count > 0 else { return [] }
        let D = minimumBlocks, S = states
        var bestIndex = 0
        for i in delta.indices where delta[i] > delta[bestIndex] { bestIndex = i }
        var s = bestIndex / D, k = bestIndex % D
        var path = [Int](repeating: 0, count: pushed - committed)
        var b = pushed - 1
        while b >= committed {
            path[b - committed] = s
            if b == committed { break }
            let slot = (b % capacity) * S
            if D == 1 {
                s = Int(enteredFrom[slot + s])
            } else if k == 0 {
                s = Int(enteredFrom[slot + s])
                k = D - 1
            } else if k < D - 1 {
                k -= 1
            } else if !stayed[slot + s] {
                k = D - 2
            }
            b -= 1
        }
        committed += count
        return Array(path.prefix(count))
    }
}
