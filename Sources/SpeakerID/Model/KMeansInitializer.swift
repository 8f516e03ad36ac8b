/// Initial GMM from k-means++ seeding followed by Lloyd iterations on a subsample of frames.
///
/// Why k-means++: its seeds are spread in proportion to squared distance, so EM starts with
/// every component on a distinct part of the data and fewer collapse. The subsample keeps the
/// cost of initialisation below that of one EM iteration; the seed makes it reproducible.
public struct KMeansInitializer: Sendable {
    /// Frames used for seeding and k-means: at most this many per component.
    public var framesPerComponent = 50
    public var minimumSample = 10_000
    public var iterations = 10

    /// Options with the documented defaults.
    public init() {}

    /// A K-component starting mixture for `data`; variances floored at `varianceFloor` per dimension.
    public func initialGMM(
        _ data: FeatureMatrix, components K: Int, varianceFloor: [Float],
        random: inout SeededRandom
    ) throws(ModelError) -> DiagGMM {
        let rows = sampleRows(of: data.rows, components: K, random: &random)
        return try initialGMM(sample: data.selecting(rows), components: K, varianceFloor: varianceFloor, random: &random)
    }

    /// The rows (ascending) the initialisation samples from `count` frames: the prefix of a
    /// seeded Fisher-Yates shuffle, all rows when there are few. The shuffle keeps only the
    /// positions it has swapped, so hundreds of hours of frames cost no index array.
    public func sampleRows(of count: Int, components K: Int, random: inout SeededRandom) -> [Int] {
        let sampleSize = min(count, max(minimumSample, framesPerComponent * K))
        if sampleSize == count { return Array(0..<count) }
        var moved: [Int: Int] = [:]
        for i in 0..<sampleSize {
            let j = i + Int(random.next() % UInt64(count - i))
            let vi = moved[i] ?? i, vj = moved[j] ?? j
            moved[i] = vj
            moved[j] = vi
        }
        return (0..<sampleSize).map { moved[$0] ?? $0 }.sorted()
    }

    /// A K-component starting mixture from the sampled frames `sample` (see `sampleRows`).
    public func initialGMM(
        sample: FeatureMatrix, components K: Int, varianceFloor: [Float],
        random: inout SeededRandom
    ) throws(ModelError) -> DiagGMM {
        let D = sample.columns
        let M = sample.rows
        let x = sample.values

        // k-means++ seeding. The squared distance of every frame to the new centre is
        // |x|^2 - 2 x.c + |c|^2, the cross terms one matrix-vector product.
        var centres = [Float](repeating: 0, count: K * D)
        var nearest = [Float](repeating: .infinity, count: M)
        var squaredNorms = [Float](repeating: 0, count: M)
        for i in 0..<M {
            var s: Float = 0
            for d in 0..<D { s += x[i * D + d] * x[i * D + d] }
            squaredNorms[i] = s
        }
        var distanceCross = [Float](repeating: 0, count: M)
        var chosen = Int(random.next() % UInt64(M))
        for k in 0..<K {
            for d in 0..<D { centres[k * D + d] = x[chosen * D + d] }
            let cNorm = squaredNorms[chosen]
            var total = 0.0
            // -2 x.c as x (-2c): scaling by -2 is exact, so this is -2 times the product.
            let scaled = (0..<D).map { -2 * centres[k * D + $0] }
            x.withUnsafeBufferPointer { xb in
                scaled.withUnsafeBufferPointer { cb in
                    distanceCross.withUnsafeMutableBufferPointer { pb in
                        MatrixProduct.multiply(
                            n: M, k: 1, w: D, a: xb.baseAddress!, lda: D, bt: cb.baseAddress!, ldb: 1,
                            c: pb.baseAddress!, ldc: 1)
                    }
                }
            }
            for i in 0..<M {
                let dist = max(squaredNorms[i] + distanceCross[i] + cNorm, 0)
                nearest[i] = min(nearest[i], dist)
                total += Double(nearest[i])
            }
            if k == K - 1 { break }
            if total <= 0 {
                chosen = Int(random.next() % UInt64(M))
                continue
            }
            var r = random.nextUnit() * total
            chosen = M - 1
            for i in 0..<M {
                r -= Double(nearest[i])
                if r <= 0 {
                    chosen = i
                    break
                }
            }
        }

        // Lloyd iterations; squared distances as |x|^2 - 2 x.c + |c|^2, the cross term one
        // matrix product per block of frames.
        var assign = [Int](repeating: 0, count: M)
        let block = GMMWorkspace.blockFrames
        var cross = [Float](repeating: 0, count: block * K)
        for _ in 0..<iterations {
            var changed = false
            var norms = [Float](repeating: 0, count: K)
            for k in 0..<K {
                var s: Float = 0
                for d in 0..<D { s += centres[k * D + d] * centres[k * D + d] }
                norms[k] = s
            }
            // The centres transposed and scaled by -2 (exactly), D x K.
            var scaledT = [Float](repeating: 0, count: D * K)
            for k in 0..<K { for d in 0..<D { scaledT[d * K + k] = -2 * centres[k * D + d] } }
            x.withUnsafeBufferPointer { xb in
                scaledT.withUnsafeBufferPointer { cb in
                    cross.withUnsafeMutableBufferPointer { pb in
                        var start = 0
                        while start < M {
                            let n = min(block, M - start)
                            MatrixProduct.multiply(
                                n: n, k: K, w: D, a: xb.baseAddress! + start * D, lda: D,
                                bt: cb.baseAddress!, ldb: K, c: pb.baseAddress!, ldc: K)
                            for t in 0..<n {
                                var best = 0, bestD = Float.infinity
                                let row = pb.baseAddress! + t * K
                                for k in 0..<K {
                                    let dist = row[k] + norms[k]
                                    if dist < bestD {
                                        bestD = dist
                                        best = k
                                    }
                                }
                                if assign[start + t] != best {
                                    assign[start + t] = best
                                    changed = true
                                }
                            }
                            start += n
                        }
                    }
                }
            }
            var sums = [Double](repeating: 0, count: K * D), counts = [Int](repeating: 0, count: K)
            x.withUnsafeBufferPointer { xb in
                sums.withUnsafeMutableBufferPointer { sb in
                    for i in 0..<M {
                        let k = assign[i]
                        counts[k] += 1
                        let xi = xb.baseAddress! + i * D, si = sb.baseAddress! + k * D
                        for d in 0..<D { si[d] += Double(xi[d]) }
                    }
                }
            }
            for k in 0..<K where counts[k] > 0 {
                for d in 0..<D { centres[k * D + d] = Float(sums[k * D + d] / Double(counts[k])) }
            }
            if !changed { break }
        }

        // Weights, means and variances from the final partition; an empty cluster gets the
        // global variance and a small weight.
        var counts = [Int](repeating: 0, count: K)
        var sq = [Double](repeating: 0, count: K * D)
        for i in 0..<M {
            let k = assign[i]
            counts[k] += 1
            for d in 0..<D {
                let e = Double(x[i * D + d] - centres[k * D + d])
                sq[k * D + d] += e * e
            }
        }
        let global = columnVariances(sample)
        var w = [Float](repeating: 0, count: K), va = [Float](repeating: 0, count: K * D)
        for k in 0..<K {
            w[k] = Float(max(counts[k], 1)) / Float(M + K)
            for d in 0..<D {
                let v = counts[k] > 1 ? Float(sq[k * D + d] / Double(counts[k])) : global[d]
                va[k * D + d] = max(v, varianceFloor[d])
            }
        }
        return try DiagGMM(weights: normalizedWeights(w), means: centres, variances: va, dimension: D)
    }
}
