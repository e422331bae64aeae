/// One recorded step of the dynamic graph.
///
/// An op that sees at least one input tracking gradients records a node whose `backward`
/// reads this node's gradient and adds into its inputs' gradients (`+=`, as llm.c does),
/// so nothing is allocated per input beyond the first gradient buffer. The hot ops ask for
/// `gradTarget()` instead and overwrite a gradient nobody has written yet, which spares
/// the memset that adding into a zeroed buffer needs (0 + x is x, so the values are the same).
/// Leaves (parameters, `requiringGradient()` tensors) have no `backward` and keep `grad`.
public final class GradNode {
    public let count: Int
    let inputs: [GradNode]
    var backward: ((UnsafeMutablePointer<Float>) -> Void)?
    public let isLeaf: Bool
    private var storage: TensorStorage?
    /// The storage holds stale values that stand for zeros: zeroing a leaf's gradient
    /// between steps only sets this, and the first backward contribution then overwrites
    /// the buffer instead of adding into a memset one.
    private var holdsStaleValues = false
    /// An input whose gradient this op passes on unchanged (the first operand of a sum):
    /// backward hands it this node's gradient buffer when it has none yet, instead of a copy.
    var heir: GradNode?

    init(count: Int, inputs: [GradNode], backward: ((UnsafeMutablePointer<Float>) -> Void)?) {
        self.count = count
        self.inputs = inputs
        self.backward = backward
        self.isLeaf = backward == nil
    }

    /// Accumulated gradient; for a leaf it survives `backward()` until zeroed. Reading it
    /// zero-fills a gradient that was zeroed lazily, so readers always see the true values.
    public var grad: TensorStorage? {
        get {
            if holdsStaleValues, let storage {
                storage.zero()
                holdsStaleValues = false
            }
            return storage
        }
        set {
            storage = newValue
            holdsStaleValues = false
        }
    }

    /// The gradient buffer, created zeroed on first use.
    public func gradBuffer() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.pointer }
        let created = TensorStorage(count: count, repeating: 0)
        storage = created
        return created.pointer
    }

    /// The gradient buffer for a caller about to contribute to it, without zero-filling.
    /// When `isFresh` is true the buffer holds no gradient yet (its contents are garbage)
    /// and the caller must write every element (`=`, or a GEMM with beta 0); otherwise it
    /// adds as usual. Either way the gradient counts as written afterwards, so a second
    /// contributor (a tensor used twice, a tied weight, the next micro-batch) adds.
    public func gradTarget() -> (pointer: UnsafeMutablePointer<Float>, isFresh: Bool) {
        if let storage {
            let fresh = holdsStaleValues
            holdsStaleValues = false
            return (storage.pointer, fresh)
        }
        let created = TensorStorage(count: count)
        storage = created
        return (created.pointer, true)
    }

    /// The gradient buffer when a contribution has been written to it since it was last
    /// zeroed; nil when the gradient is zero (no buffer yet, or only stale values).
    public var writtenGradient: UnsafeMutablePointer<Float>? {
        guard let storage, !holdsStaleValues else { return nil }
        return storage.pointer
    }

    /// Sets the gradient to zero without touching its memory: the next reader or
    /// contributor zero-fills or overwrites it. A node without a gradient keeps none.
    public func zeroGradient() {
        if storage != nil { holdsStaleValues = true }
    }

    /// Runs reverse-mode differentiation from this node, seeded with `seed`.
    /// Intermediate gradients and the graph's closures are released as it goes, so the
    /// graph can be walked once (like PyTorch without `retain_graph`).
    func propagate(seed: UnsafePointer<Float>) {
        let order = topologicalOrder()
        let start = gradBuffer()
        for i in 0..<count { start[i] += seed[i] }
        for node in order.reversed() {
            guard let backward = node.backward else { continue }
            if let grad = node.grad {
                // The op's backward sees its input's buffer is its own gradient and skips it.
                if let heir = node.heir, heir.storage == nil, !heir.isLeaf, heir.count == node.count {
                    heir.storage = grad
                }
                backward(grad.pointer)
            }
            node.backward = nil
            node.grad = nil
            node.heir = nil
        }
    }

    /// Nodes reachable from this one, each after all of its inputs (iterative, so long
    /// recurrent graphs do not overflow the stack).
    private func topologicalOrder() -> [GradNode] {
        var order: [GradNode] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(GradNode, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                let child = node.inputs[next]
                if visited.insert(ObjectIdentifier(child)).inserted, child.backward != nil || !child.inputs.isEmpty {
                    stack.append((child, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}
