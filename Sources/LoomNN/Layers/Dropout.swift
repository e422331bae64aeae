import CLoomKernels
import LoomTensor

/// A layer whose forward pass draws random numbers from a generator it owns.
///
/// Owning the generator (seeded at construction, usually split from the model's
/// generator) keeps a run reproducible from one seed, and its state is saved with the
/// trainer state so a resumed run draws the same masks (see `Module.randomGeneratorStates`).
public protocol RandomizedLayer: Module {
    var generator: RandomGenerator { get set }
}

/// Inverted dropout: in training, zeroes each element with probability `probability` and
/// scales survivors by 1/(1-p); in evaluation, passes the input through unchanged.
public final class Dropout: Module, Layer, RandomizedLayer {
    public let probability: Float
    public var generator: RandomGenerator

    /// `rng` provides a separate stream for this layer (`rng.split()`), so adding a dropout
    /// layer does not change how the rest of the model is initialized beyond one draw.
    public init(_ probability: Float, using rng: inout RandomGenerator) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        generator = rng.split()
    }

    public init(_ probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    /// Generators for shards 1... of a data-parallel step (`ShardedGradients`), split from
    /// `generator` at the start of each step; shard 0 draws from `generator` itself. One
    /// box per shard, so each shard's thread mutates only its own.
    private var shardGenerators: [GeneratorBox] = []

    final class GeneratorBox {
        var generator: RandomGenerator
        init(_ generator: RandomGenerator) { self.generator = generator }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return x }
        return withGenerator { x.dropout(probability: probability, using: &$0) }
    }

    /// Runs `body` with the generator of the calling thread's shard (`generator` outside a
    /// sharded step).
    public func withGenerator<T>(_ body: (inout RandomGenerator) -> T) -> T {
        let shard = Int(loom_gradient_shard())
        if shard == 0 { return body(&generator) }
        precondition(shard <= shardGenerators.count, "dropout layer read by shard \(shard) was not prepared for it")
        return body(&shardGenerators[shard - 1].generator)
    }

    /// Splits one generator per shard 1..<count from `generator`, so the shards draw
    /// independent masks and the layer's saved state still determines the next step.
    func prepareShards(_ count: Int) {
        shardGenerators = (1..<Swift.max(count, 1)).map { _ in GeneratorBox(generator.split()) }
    }
}
