import LoomNN
import LoomTensor

/// A next-token model over a fixed vocabulary: GPT, and the recurrent language models.
/// The pretraining loop, evaluation and generation work with any of them.
public protocol LanguageModel: Module {
    /// The longest context the model attends to (tokens beyond it are cropped from the left).
    var contextLength: Int { get }
    var vocabularySize: Int { get }

    /// Logits (B, T, vocabularySize) for `tokens`, row-major (B, T).
    func logits(tokens: [Int32], batch: Int, length: Int) -> Tensor

    /// Whether a training step may run parts of its batch on several threads at once
    /// (`ShardedGradients`): the forward pass shares no mutable state between calls other
    /// than its `Dropout` layers, which give each shard a generator of its own.
    var trainsInShards: Bool { get }
}

extension LanguageModel {
    public var trainsInShards: Bool { false }

    /// Mean next-token cross-entropy of `targets` (B, T) given `tokens` (B, T).
    public func loss(tokens: [Int32], targets: [Int32], batch: Int, length: Int) -> Tensor {
        logits(tokens: tokens, batch: batch, length: length)
            .reshaped([batch * length, vocabularySize])
            .crossEntropy(targets: targets)
    }
}
