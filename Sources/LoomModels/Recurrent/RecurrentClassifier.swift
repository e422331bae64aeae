import LoomNN
import LoomTensor

/// How a seq2vec classifier turns a sequence of states into one vector, over real
/// (non-padding) tokens only.
public enum RecurrentPooling: String, Codable, CaseIterable, Sendable {
    /// The final states: each direction's state after its last step (for the reverse
    /// direction, after the first token), side by side.
    case last
    case mean
    case max
}

/// The hyperparameters of `RecurrentClassifier`, with its labels and character vocabulary.
public struct RecurrentClassifierConfig: ModelConfiguration, Equatable {
    public static let kind = "recurrent-classifier"
    public var cell: RecurrentCellKind
    public var vocabularySize: Int
    public var embeddingWidth: Int
    public var hiddenWidth: Int
    public var layers: Int
    public var bidirectional: Bool
    public var pooling: RecurrentPooling
    public var dropout: Float
    public var labels: [String]
    /// The characters of the vocabulary; id i + 1 is characters[i], id 0 any other character.
    public var characters: [String]
    /// Characters read from each text (the rest is cut).
    public var maxLength: Int

    public init(cell: RecurrentCellKind = .lstm, vocabularySize: Int, embeddingWidth: Int = 32, hiddenWidth: Int = 64,
                layers: Int = 1, bidirectional: Bool = true, pooling: RecurrentPooling = .max, dropout: Float = 0,
                labels: [String], characters: [String] = [], maxLength: Int = 128) {
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingWidth = embeddingWidth
        self.hiddenWidth = hiddenWidth
        self.layers = layers
        self.bidirectional = bidirectional
        self.pooling = pooling
        self.dropout = dropout
        self.labels = labels
        self.characters = characters
        self.maxLength = maxLength
    }

    enum CodingKeys: String, CodingKey {
        case cell, vocabularySize = "vocab_size", embeddingWidth = "embedding_dim", hiddenWidth = "hidden_size"
        case layers = "num_layers", bidirectional, pooling, dropout, labels, characters
        case maxLength = "max_length"
    }
}

/// Seq2vec: embedding → (bi)LSTM/GRU/RNN → pooling over real tokens → linear to labels.
public final class RecurrentClassifier: Module {
    public let config: RecurrentClassifierConfig
    public let embedding: Embedding
    public let rnn: Recurrent
    public let head: Linear

    public init(_ config: RecurrentClassifierConfig, using rng: inout RandomGenerator) {
        precondition(config.labels.count >= 2, "a classifier needs at least two labels")
        self.config = config
        embedding = Embedding(config.vocabularySize, config.embeddingWidth, using: &rng)
        rnn = Recurrent(kind: config.cell, inputSize: config.embeddingWidth, hiddenSize: config.hiddenWidth,
                        layers: config.layers, bidirectional: config.bidirectional, dropout: config.dropout, using: &rng)
        head = Linear(rnn.outputSize, config.labels.count, using: &rng)
    }

    /// Character ids of `text` (at most `maxLength`, at least one).
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for character in text.prefix(config.maxLength) { ids.append(characterIDs[String(character)] ?? 0) }
        return ids.isEmpty ? [0] : ids
    }

    private lazy var characterIDs: [String: Int32] = {
        var table: [String: Int32] = [:]
        for (i, c) in config.characters.enumerated() { table[c] = Int32(i + 1) }
        return table
    }()

    /// Logits (B, labels) for token sequences of any lengths (each at least one token);
    /// they are padded on the right and the padding is masked out.
    public func logits(_ sequences: [[Int32]]) -> Tensor {
        precondition(!sequences.isEmpty && sequences.allSatisfy { !$0.isEmpty }, "every sequence needs a token")
        let batch = sequences.count
        let length = sequences.map(\.count).max()!
        var ids = [Int32](repeating: 0, count: batch * length)
        for (b, s) in sequences.enumerated() { for (t, id) in s.enumerated() { ids[b * length + t] = id } }
        let lengths = sequences.map(\.count)
        let (output, state) = rnn(embedding(ids, shape: [batch, length]), lengths: lengths)  // output (B, T, F)
        let features = rnn.outputSize
        let pooled: Tensor
        switch config.pooling {
        case .last:
            let slots = rnn.directionCount
            let last = state.hidden.slice(axis: 0, (state.hidden.shape[0] - slots)..<state.hidden.shape[0])  // (dirs, B, H)
            pooled = slots == 1 ? last.reshaped([batch, features]) : last.permuted([1, 0, 2]).reshaped([batch, features])
        case .mean:
            let scale = Tensor(shape: [batch, 1], values: lengths.map { 1 / Float($0) })
            pooled = output.sum(axis: 1) * scale
        case .max:
            // Padded steps output zeros, which could win the max; push them far below.
            var mask = [Float](repeating: 0, count: batch * length)
            for b in 0..<batch { for t in lengths[b]..<length { mask[b * length + t] = -1e9 } }
            pooled = (output + Tensor(shape: [batch, length, 1], values: mask)).max(axis: 1)
        }
        return head(pooled)
    }
}
