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

    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard isTraining, probability > 0 else { return x }
        return x.dropout(probability: probability, using: &generator)
    }
}
