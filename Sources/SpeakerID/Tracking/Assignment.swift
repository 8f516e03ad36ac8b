/// The optimal assignment problem (Hungarian method, Kuhn-Munkres with potentials, O(n^3)).
enum Assignment {
    /// For a rows x columns matrix of gains, the column assigned to each row (nil when a row
    /// gets none: rows beyond the number of columns) maximising the total gain.
    static func maximize(_ gain: [[Double]]) -> [Int?] {
        let rows = gain.count
        guard rows > 0 else { return [] }
        let columns = gain[0].count
        let n = max(rows, columns)
        // Square cost matrix (negated gains, padding with 0), 1-based as in the classic form.
        var cost = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n + 1)
        for i in 0..<rows { for j in 0..<columns { cost[i + 1][j + 1] = -gain[i][j] } }
        var u = [Double](repeating: 0, count: n + 1), v = u
        var p = [Int](repeating: 0, count: n + 1), way = p
        for i in 1...n {
            p[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Double.infinity, j1 = 0
                for j in 1...n where !used[j] {
                    let cur = cost[i0][j] - u[i0] - v[j]
                    if cur < minv[j] {
                        minv[j] = cur
                        way[j] = j0
                    }
                    if minv[j] < delta {
                        delta = minv[j]
                        j1 = j
                    }
                }
                for j in 0...n {
                    if used[j] {
                        u[p[j]] += delta
                        v[j] -= delta
                    } else {
                        minv[j] -= delta
                    }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var out = [Int?](repeating: nil, count: rows)
        for j in 1...n where p[j] >= 1 && p[j] <= rows && j <= columns { out[p[j] - 1] = j - 1 }
        return out
    }
}
