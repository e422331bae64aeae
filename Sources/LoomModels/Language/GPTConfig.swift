import LoomNN

/// GPT-2 hyperparameters, named as nanoGPT names them (`n_layer`, `n_head`, `n_embd`,
/// `block_size`, `vocab_size`) so configs read the same in both.
public struct GPTConfig: ModelConfiguration, Equatable {
    public static let kind = "gpt"
    public var vocabularySize = 50257
    public var contextLength = 1024
    public var layers = 12
    public var heads = 12
    public var width = 768
    public var dropout: Float = 0
    public var bias = true

    public init(vocabularySize: Int = 50257, contextLength: Int = 1024, layers: Int = 12, heads: Int = 12,
                width: Int = 768, dropout: Float = 0, bias: Bool = true) {
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.layers = layers
        self.heads = heads
        self.width = width
        self.dropout = dropout
        self.bias = bias
    }

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size", contextLength = "block_size", layers = "n_layer", heads = "n_head"
        case width = "n_embd", dropout, bias
    }
}
