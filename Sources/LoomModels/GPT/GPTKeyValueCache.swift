import LoomNN
import LoomTensor

/// The keys and values one sequence has produced so far, for every layer.
///
/// A cache belongs to one sequence and the model holds none, so two requests can run on
/// one model at the same time, each with its own cache.
public final class GPTKeyValueCache {
    /// The most positions the cache holds: the model's context length.
    public let capacity: Int
    let width: Int
    let keys: [TensorStorage]  // per layer (capacity, C)
    let values: [TensorStorage]  // per layer (capacity, C)
    /// Positions filled so far.
    public private(set) var count = 0

    public init(config: GPTConfig) {
        capacity = config.contextLength
        width = config.width
        keys = (0..<config.layers).map { _ in TensorStorage(count: config.contextLength * config.width) }
        values = (0..<config.layers).map { _ in TensorStorage(count: config.contextLength * config.width) }
    }

    public var isFull: Bool { count == capacity }

    /// Forgets every position (the storage is kept for reuse).
    public func reset() { count = 0 }

    fileprivate func advance(by n: Int) { count += n }
}

extension GPT {
    /// Runs `tokens`, the sequence's next positions, through the model, appending their keys
    /// and values to `cache`. Returns logits (n, V) for every new position when
    /// `allPositions` is set, else (1, V) for the last one. Records no graph and skips
    /// dropout whatever the training mode, so it never touches the model's state.
    public func forward(tokens: [Int32], cache: GPTKeyValueCache, allPositions: Bool = false) -> Tensor {
        precondition(!tokens.isEmpty, "forward with no tokens")
        precondition(cache.capacity == contextLength && cache.width == width && cache.keys.count == config.layers,
                     "the cache was made for another model configuration")
        let start = cache.count, n = tokens.count
        precondition(start + n <= contextLength, "\(start) cached + \(n) new positions exceed the context of \(contextLength)")
        let c = width, heads = config.heads
        return withoutGradients {
            let positions = (start..<(start + n)).map { Int32($0) }
            var x = transformer.tokenEmbedding(tokens) + transformer.positionEmbedding(positions)  // (n, C)
            for (layer, block) in transformer.blocks.enumerated() {
                let qkv = block.attention.inputProjection(block.attentionNorm(x))  // (n, 3C)
                let keys = cache.keys[layer].pointer, values = cache.values[layer].pointer
                for i in 0..<n {
                    (keys + (start + i) * c).update(from: qkv.pointer + i * 3 * c + c, count: c)
                    (values + (start + i) * c).update(from: qkv.pointer + i * 3 * c + 2 * c, count: c)
                }
                let mixed = Tensor(uninitializedShape: [n, c])
                AttentionKernels.attendCached(
                    queries: qkv.pointer, queryStride: 3 * c, keys: keys, values: values, cacheStride: c,
                    rows: n, start: start, heads: heads, headSize: c / heads, output: mixed.pointer, outputStride: c)
                x = x + block.attention.outputProjection(mixed)
                let feedForward = block.feedForward
                x = x + feedForward.project(feedForward.expand(block.feedForwardNorm(x)).gelu())
            }
            cache.advance(by: n)
            let kept = allPositions || n == 1 ? x : x.slice(axis: 0, (n - 1)..<n)
            return Tensor.linear(transformer.finalNorm(kept), weight: transformer.tokenEmbedding.weight.value, bias: nil)
        }
    }
}
