import LoomTensor

/// All weights of a model in one allocation, all their gradients in another (llm.c's
/// layout). Zeroing gradients is one memset, an optimizer step can be one loop, and the
/// gradient buffer is ready for a single all-reduce when training spans machines.
public final class PackedParameters {
    public struct Entry {
        public let name: String
        public let parameter: Parameter
        public let offset: Int
        public var count: Int { parameter.count }
    }

    public let values: TensorStorage
    /// The gradients, back to back. After `Parameter.zeroGrad()` (lazy), a parameter's slice
    /// holds stale values until a backward reaches it or its `grad` is read; this pack's own
    /// `zeroGrad()` clears the whole buffer.
    public let grads: TensorStorage
    public let entries: [Entry]
    public let buffers: [(String, Parameter)]

    /// Packs the weights of `module` (frozen ones included, so freezing can change later).
    public init(_ module: Module) {
        let named = module.namedParameters()
        let weights = named.filter { $0.1.kind == .weight }
        let total = weights.reduce(0) { $0 + $1.1.count }
        values = TensorStorage(count: total)
        grads = TensorStorage(count: total, repeating: 0)
        var offset = 0
        var list: [Entry] = []
        for (name, p) in weights {
            p.rehome(values: TensorStorage(viewOf: values, offset: offset, count: p.count),
                     grad: TensorStorage(viewOf: grads, offset: offset, count: p.count))
            list.append(Entry(name: name, parameter: p, offset: offset))
            offset += p.count
        }
        entries = list
        buffers = named.filter { $0.1.kind == .buffer }
    }

    public var count: Int { values.count }

    public func zeroGrad() { grads.zero() }
}
