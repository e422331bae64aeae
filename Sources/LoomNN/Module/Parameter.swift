import CLoomKernels
import LoomTensor

/// A named tensor a module owns: a trainable weight, or a buffer (like batch norm's
/// running statistics) that is saved with the model but not trained.
public final class Parameter {
    public enum Kind { case weight, buffer }

    public let kind: Kind
    /// The current value. For weights it is a graph leaf: every forward pass that reads it
    /// adds into the same `grad`.
    public private(set) var value: Tensor
    /// A frozen weight keeps its value and collects no gradient.
    public var isFrozen = false

    public init(_ value: Tensor, kind: Kind = .weight) {
        self.kind = kind
        self.value = kind == .weight ? value.detached().requiringGradient() : value.detached()
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }
    public var isTrainable: Bool { kind == .weight && !isFrozen }

    /// Leaves over the same values for shards 1... of a data-parallel step, each with its own
    /// gradient (`ShardedGradients`); shard 0 uses `value` itself.
    private(set) var shardLeaves: [Tensor] = []

    /// The tensor a forward pass should use: tracked when trainable, plain otherwise. On a
    /// thread computing shard s > 0 of a data-parallel step, it is that shard's leaf.
    public var tensor: Tensor {
        guard isTrainable else { return value.detached() }
        let shard = Int(loom_gradient_shard())
        if shard == 0 { return value }
        precondition(shard <= shardLeaves.count, "a trainable parameter read by shard \(shard) was not passed to ShardedGradients.run")
        return shardLeaves[shard - 1]
    }

    /// Makes sure shards 1..<count have leaves, and zeroes their gradients (lazily).
    func prepareShards(_ count: Int) {
        while shardLeaves.count < count - 1 { shardLeaves.append(value.detached().requiringGradient()) }
        for leaf in shardLeaves { leaf.node?.zeroGradient() }
    }

    /// The accumulated gradient, if any backward pass reached this parameter.
    public var grad: TensorStorage? { value.node?.grad }

    /// Zeroes the gradient lazily (no memset): the next backward overwrites it, and `grad`
    /// reads as zeros if no backward reaches this parameter first.
    public func zeroGrad() { value.node?.zeroGradient() }

    /// Overwrites the values in place (shape must match).
    public func assign(_ values: UnsafePointer<Float>) {
        value.pointer.update(from: values, count: count)
    }

    /// Moves the values (and for weights, the gradient) into the given storages, which are
    /// views into flat buffers. Used to pack a model into single allocations.
    func rehome(values: TensorStorage, grad: TensorStorage?) {
        values.pointer.update(from: value.pointer, count: count)
        if kind == .weight {
            let leaf = Tensor(shape: shape, storage: values).requiringGradient()
            if let grad {
                if let old = value.node?.grad { grad.pointer.update(from: old.pointer, count: count) } else { grad.zero() }
                leaf.node?.grad = grad
            }
            value = leaf
            shardLeaves = []
        } else {
            value = Tensor(shape: shape, storage: values)
        }
    }
}
