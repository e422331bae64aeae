/// Comparisons give 0/1 masks and carry no gradient; `where` selects between two tensors.
extension Tensor {
    private func compare(_ other: Tensor, _ test: @escaping (Float, Float) -> Bool) -> Tensor {
        withoutGradients {
            let plan = BroadcastPlan(shape, other.shape)
            let out = Tensor(uninitializedShape: plan.outShape)
            let x = pointer, y = other.pointer, o = out.pointer
            plan.forEachRow { oo, oa, ob, n, sa, sb in
                for j in 0..<n { o[oo + j] = test(x[oa + j * sa], y[ob + j * sb]) ? 1 : 0 }
            }
            return out
        }
    }

    public func greater(_ other: Tensor) -> Tensor { compare(other, >) }
    public func less(_ other: Tensor) -> Tensor { compare(other, <) }
    public func greaterEqual(_ other: Tensor) -> Tensor { compare(other, >=) }
    public func lessEqual(_ other: Tensor) -> Tensor { compare(other, <=) }
    public func equal(_ other: Tensor) -> Tensor { compare(other, ==) }
    public func greater(_ s: Float) -> Tensor { compare(Tensor(s), >) }
    public func less(_ s: Float) -> Tensor { compare(Tensor(s), <) }
    public func equal(_ s: Float) -> Tensor { compare(Tensor(s), ==) }

    /// `condition != 0 ? a : b` elementwise; `a` and `b` broadcast to the condition's shape.
    /// Unselected values never touch the result, so `-inf` fill values are safe.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        let a = a.broadcast(to: condition.shape), b = b.broadcast(to: condition.shape)
        let n = condition.count
        let out = TensorStorage(count: n)
        let c = condition.pointer, x = a.pointer, y = b.pointer, o = out.pointer
        for i in 0..<n { o[i] = c[i] != 0 ? x[i] : y[i] }
        return Tensor.result(shape: condition.shape, storage: out, inputs: [a, b]) { [condition] g in
            let c = condition.pointer
            if let ga = a.gradBuffer() { for i in 0..<n where c[i] != 0 { ga[i] += g[i] } }
            if let gb = b.gradBuffer() { for i in 0..<n where c[i] == 0 { gb[i] += g[i] } }
        }
    }
}
