/// How two shapes combine under NumPy broadcasting, reduced to the fewest dimensions.
///
/// Adjacent dimensions are merged whenever every operand steps through them as one run,
/// so `[N, C, H, W] + [1, C, 1, 1]` iterates rows of `H*W` with the bias held fixed, and
/// equal shapes collapse to a single row.
struct BroadcastPlan {
    let outShape: [Int]
    let outCount: Int
    /// Collapsed dimensions (outermost first) and per-operand strides over them (0 = broadcast).
    let dims: [Int]
    let stridesA: [Int]
    let stridesB: [Int]

    init(_ a: [Int], _ b: [Int]) {
        let rank = Swift.max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var out: [Int] = []
        for i in 0..<rank {
            precondition(pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1, "shapes \(a) and \(b) do not broadcast")
            out.append(Swift.max(pa[i], pb[i]))
        }
        outShape = out
        outCount = out.reduce(1, *)
        func strides(_ s: [Int]) -> [Int] {
            var result = Array(repeating: 0, count: rank)
            var step = 1
            for i in stride(from: rank - 1, through: 0, by: -1) {
                result[i] = s[i] == 1 && out[i] != 1 ? 0 : step
                step *= s[i]
            }
            return result
        }
        var d: [Int] = [], sa: [Int] = [], sb: [Int] = []
        let fa = strides(pa), fb = strides(pb)
        for i in 0..<rank where out[i] != 1 {
            if let last = d.last, sa.last! == fa[i] * out[i], sb.last! == fb[i] * out[i] {
                d[d.count - 1] = last * out[i]
                sa[sa.count - 1] = fa[i]
                sb[sb.count - 1] = fb[i]
            } else {
                d.append(out[i]); sa.append(fa[i]); sb.append(fb[i])
            }
        }
        if d.isEmpty { d = [1]; sa = [0]; sb = [0] }
        dims = d; stridesA = sa; stridesB = sb
    }

    var isElementwise: Bool { dims.count == 1 && stridesA[0] == 1 && stridesB[0] == 1 }

    /// Calls `row(outOffset, aOffset, bOffset, length, aStride, bStride)` for each innermost row.
    @inline(__always)
    func forEachRow(_ row: (Int, Int, Int, Int, Int, Int) -> Void) {
        let last = dims.count - 1
        let length = dims[last], sa = stridesA[last], sb = stridesB[last]
        if last == 0 { row(0, 0, 0, length, sa, sb); return }
        var index = Array(repeating: 0, count: last)
        var offA = 0, offB = 0, out = 0
        while true {
            row(out, offA, offB, length, sa, sb)
            out += length
            var d = last - 1
            while d >= 0 {
                index[d] += 1
                offA += stridesA[d]
                offB += stridesB[d]
                if index[d] < dims[d] { break }
                offA -= stridesA[d] * dims[d]
                offB -= stridesB[d] * dims[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }
}
