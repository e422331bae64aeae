/// One recorded step of the dynamic graph.
///
/// An op that sees at least one input tracking gradients records a node whose `backward`
/// reads this node's gradient and adds into its inputs' gradients (`+=`, as llm.c does),
/// so nothing is allocated per input beyond the first gradient buffer.
/// Leaves (parameters, `requiringGradient()` tensors) have no `backward` and keep `grad`.
public final class GradNode {
    public let count: Int
    let inputs: [GradNode]
    var backward: ((UnsafeMutablePointer<Float>) -> Void)?
    public let isLeaf: Bool
    /// Accumulated gradient; for a leaf it survives `backward()` until zeroed.
    public var grad: TensorStorage?

    init(count: Int, inputs: [GradNode], backward: ((UnsafeMutablePointer<Float>) -> Void)?) {
        self.count = count
        self.inputs = inputs
        self.backward = backward
        self.isLeaf = backward == nil
    }

    /// The gradient buffer, created zeroed on first use.
    public func gradBuffer() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.pointer }
        let storage = TensorStorage(count: count, repeating: 0)
        grad = storage
        return storage.pointer
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
            if let grad = node.grad { backward(grad.pointer) }
            node.backward = nil
            node.grad = nil
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
