/// Reshaping, broadcasting, permuting, joining and cutting. Reshape shares storage;
/// everything that would need strides copies, as DESIGN.md §2 chooses.
extension Tensor {
    /// The same elements under a new shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let unknown = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            s[unknown] = count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        return Tensor.result(shape: s, storage: storage, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            for i in 0..<self.count { gx[i] += g[i] }
        }
    }

    /// Collapses dimensions from `startAxis` on into one.
    public func flattened(from startAxis: Int = 1) -> Tensor {
        let a = normalizedAxis(startAxis)
        return reshaped(Array(shape[..<a]) + [shape[a...].reduce(1, *)])
    }

    public func unsqueezed(at axis: Int) -> Tensor {
        var s = shape
        s.insert(1, at: axis < 0 ? axis + rank + 1 : axis)
        return reshaped(s)
    }

    public func squeezed(at axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(shape[a] == 1, "cannot squeeze axis \(axis) of \(shape)")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// A copy expanded to `target` by broadcasting; the gradient sums back.
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let plan = BroadcastPlan(shape, target)
        precondition(plan.outShape == target, "cannot broadcast \(shape) to \(target)")
        let out = TensorStorage(count: plan.outCount)
        let x = pointer, o = out.pointer
        plan.forEachRow { oo, oa, _, n, sa, _ in for j in 0..<n { o[oo + j] = x[oa + j * sa] } }
        return Tensor.result(shape: target, storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            plan.forEachRow { oo, oa, _, n, sa, _ in for j in 0..<n { gx[oa + j * sa] += g[oo + j] } }
        }
    }

    /// Reorders dimensions: result dimension i is input dimension `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "bad permutation \(order) for rank \(rank)")
        let outShape = order.map { shape[$0] }
        var inStrides = Array(repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = order.map { inStrides[$0] }
        let out = TensorStorage(count: count)
        Tensor.permuteCopy(from: pointer, to: out.pointer, shape: outShape, sourceStrides: strides, accumulate: false)
        return Tensor.result(shape: outShape, storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            // Scatter back: walk the output order, adding into the strided input positions.
            Tensor.permuteScatter(from: g, to: gx, shape: outShape, targetStrides: strides)
        }
    }

    /// Swaps two dimensions.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(a), normalizedAxis(b))
        return permuted(order)
    }

    static func permuteCopy(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>,
                            shape: [Int], sourceStrides: [Int], accumulate: Bool) {
        walkStrided(shape: shape, strides: sourceStrides) { o, s, n, step in
            for j in 0..<n { dst[o + j] = src[s + j * step] }
        }
    }

    static func permuteScatter(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>,
                               shape: [Int], targetStrides: [Int]) {
        walkStrided(shape: shape, strides: targetStrides) { o, t, n, step in
            for j in 0..<n { dst[t + j * step] += src[o + j] }
        }
    }

    /// Visits a contiguous output of `shape` row by row with the matching strided offsets.
    @inline(__always)
    static func walkStrided(shape: [Int], strides: [Int], _ row: (Int, Int, Int, Int) -> Void) {
        let rank = shape.count
        if rank == 0 { row(0, 0, 1, 1); return }
        let n = shape[rank - 1], step = strides[rank - 1]
        let rows = shape.dropLast().reduce(1, *)
        if rows == 0 || n == 0 { return }
        var index = Array(repeating: 0, count: rank)
        var offset = 0
        for r in 0..<rows {
            row(r * n, offset, n, step)
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < shape[d] { break }
                offset -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }
}
