import LoomNN
import LoomTensor

/// The hyperparameters of `BigramLanguageModel`.
public struct BigramConfig: ModelConfiguration, Equatable {
    public static let kind = "bigram"
    public var vocabularySize: Int
    public var contextLength: Int

    public init(vocabularySize: Int, contextLength: Int) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
    }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", contextLength = "block_size"
    }
}

/// The smallest language model: each token's logits for the next one are a row of a
/// (vocabulary × vocabulary) table. It trains in moments, which makes it the model of
/// choice for testing the training machinery, and a floor any real model must beat.
public final class BigramLanguageModel: Module, LanguageModel, SequenceEncoder {
    public let config: BigramConfig
    let table: Embedding

    public init(_ config: BigramConfig, using rng: inout RandomGenerator) {
        self.config = config
        table = Embedding(config.vocabularySize, config.vocabularySize, using: &rng)
    }

    override public var propertyNames: [String: String] { ["table": "token_embedding_table"] }

    public var contextLength: Int { config.contextLength }
    public var vocabularySize: Int { config.vocabularySize }
    public var hiddenWidth: Int { config.vocabularySize }

    public func logits(tokens: [Int32], batch: Int, length: Int) -> Tensor {
        table(tokens, shape: [batch, length])
    }

    public func hiddenStates(tokens: [Int32], batch: Int, length: Int) -> Tensor {
        table(tokens, shape: [batch, length])
    }
}
