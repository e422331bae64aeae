import CLoomKernels
import LoomTensor

/// Data parallelism within one batch: the batch is cut into `shards` parts, each part's
/// forward and backward pass runs whole on one core, and the parts' gradients are summed.
///
/// Splitting every op of a small model across the cores makes hundreds of short parallel
/// loops per step, and the cores wait for each other at the end of each. A shard runs its
/// ops on one thread (loops inside it stay on that thread), so the cores meet once per
/// step, and each keeps its own activations in its own cache.
///
/// Shard 0 writes into the parameters' own gradients; shard s > 0 into its own leaves
/// (`Parameter.tensor` picks them on that shard's thread), which are then added in shard
/// order. The sums depend on the number of shards, never on the number of cores, so a given
/// shard count gives the same numbers on any machine. Every trainable parameter the loss
/// reads must be in `parameters`, and every dropout layer it runs in `dropouts`: each
/// shard draws its masks from its own generator, split from the layer's at each step.
/// Shards must share no other mutable state.
public enum ShardedGradients {
    /// Runs `loss(s)` for s in 0..<shards, each backward seeded with `weights[s]` (the
    /// shard's share of the batch, for a mean loss), and leaves the summed gradients in
    /// `parameters`' own. Returns the shards' losses.
    public static func run(parameters: [Parameter], dropouts: [Dropout] = [], weights: [Float],
                           _ loss: (Int) -> Tensor) -> [Float] {
        let shards = weights.count
        precondition(shards > 0, "need at least one shard")
        if shards == 1 {
            let value = loss(0)
            (value * weights[0]).backward()
            return [value.item]
        }
        let trainable = parameters.filter(\.isTrainable)
        for parameter in trainable { parameter.prepareShards(shards) }
        for layer in dropouts { layer.prepareShards(shards) }
        var losses = [Float](repeating: 0, count: shards)
        losses.withUnsafeMutableBufferPointer { losses in
            SharedWeightPacks.sharing {
                Parallel.forEach(shards) { shard in
                    loom_set_gradient_shard(Int32(shard))
                    defer { loom_set_gradient_shard(0) }
                    let value = loss(shard)
                    losses[shard] = value.item
                    (value * weights[shard]).backward()
                }
            }
        }
        for parameter in trainable { parameter.gatherShardGradients() }
        return losses
    }
}

extension Parameter {
    /// Adds the shard leaves' gradients into the parameter's own, in shard order.
    func gatherShardGradients() {
        guard let node = value.node else { return }
        for leaf in shardLeaves {
            guard let source = leaf.node?.writtenGradient else { continue }
            let (target, fresh) = node.gradTarget()
            let n = count
            Parallel.forRanges(n) { range in
                if fresh { (target + range.lowerBound).update(from: source + range.lowerBound, count: range.count) }
                else { for i in range { target[i] += source[i] } }
            }
        }
    }
}
