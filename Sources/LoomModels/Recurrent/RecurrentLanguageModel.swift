import LoomNN
import LoomTensor

/// The hyperparameters of `RecurrentLanguageModel`. One checkpoint kind, "recurrent-lm",
/// covers every cell; `cell` says which (lstm, gru, rnn_tanh, rnn_relu).
public struct RecurrentLMConfig: ModelConfiguration, Equatable {
    public static let kind = "recurrent-lm"
    public var cell: RecurrentCellKind
    public var vocabularySize: Int
    /// The window the training loop and generation feed at once; the recurrence itself
    /// has no length limit.
    public var contextLength: Int
    public var embeddingWidth: Int
    public var hiddenWidth: Int
    public var layers: Int
    public var dropout: Float

    public init(cell: RecurrentCellKind = .lstm, vocabularySize: Int, contextLength: Int = 64, embeddingWidth: Int = 64,
                hiddenWidth: Int = 256, layers: Int = 2, dropout: Float = 0) {
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.embeddingWidth = embeddingWidth
        self.hiddenWidth = hiddenWidth
        self.layers = layers
        self.dropout = dropout
    }

    enum CodingKeys: String, CodingKey {
        case cell, vocabularySize = "vocab_size", contextLength = "block_size", embeddingWidth = "embedding_dim"
        case hiddenWidth = "hidden_size", layers = "num_layers", dropout
    }
}

/// Embedding → stacked LSTM/GRU/RNN → dropout → linear to the vocabulary: the classic
/// char-RNN. Weights are named `embedding.weight`, `rnn.weight_ih_l0`, ..., `decoder.weight`.
public final class RecurrentLanguageModel: Module, LanguageModel, SequenceEncoder {
    public let config: RecurrentLMConfig
    public let embedding: Embedding
    public let rnn: Recurrent
    public let outputDropout: Dropout?
    public let decoder: Linear

    public init(_ config: RecurrentLMConfig, using rng: inout RandomGenerator) {
        self.config = config
        embedding = Embedding(config.vocabularySize, config.embeddingWidth, using: &rng)
        rnn = Recurrent(kind: config.cell, inputSize: config.embeddingWidth, hiddenSize: config.hiddenWidth,
                        layers: config.layers, dropout: config.dropout, using: &rng)
        outputDropout = config.dropout > 0 ? Dropout(config.dropout, using: &rng) : nil
        decoder = Linear(config.hiddenWidth, config.vocabularySize, using: &rng)
    }

    public var contextLength: Int { config.contextLength }
    public var vocabularySize: Int { config.vocabularySize }
    public var hiddenWidth: Int { config.hiddenWidth }

    public func logits(tokens: [Int32], batch: Int, length: Int) -> Tensor {
        logits(tokens: tokens, batch: batch, length: length, state: nil).logits
    }

    public func hiddenStates(tokens: [Int32], batch: Int, length: Int) -> Tensor {
        rnn(embedding(tokens, shape: [batch, length])).output
    }

    /// Logits (B, T, V) and the state after the last token, starting from `state`.
    /// Carrying the state (detached) from one window into the next trains with truncated
    /// backpropagation through time, and generation feeds one token at a time this way.
    public func logits(tokens: [Int32], batch: Int, length: Int, state: RecurrentState?)
        -> (logits: Tensor, state: RecurrentState) {
        let (output, final) = rnn(embedding(tokens, shape: [batch, length]), state: state)
        let dropped = outputDropout.map { $0(output) } ?? output
        return (decoder(dropped), final)
    }
}
