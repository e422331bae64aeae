import Foundation
import LoomNN
import LoomTensor

/// The hyperparameters of an encoder-decoder, saved as `config.json`.
public struct Seq2SeqConfig: ModelConfiguration, Equatable {
    public static let kind = "seq2seq"
    public var sourceVocabularySize = 0
    public var targetVocabularySize = 0
    public var embeddingDimension = 128
    public var hiddenDimension = 256
    public var layers = 1
    public var cell = Seq2SeqCellKind.lstm
    public var attention = AttentionKind.bahdanau
    public var bidirectional = true
    /// Feeds the previous attentional vector into the decoder's input (Luong et al. 2015).
    public var inputFeeding = true
    public var dropout: Float = 0.2

    public init() {}

    enum CodingKeys: String, CodingKey {
        case sourceVocabularySize = "source_vocab_size", targetVocabularySize = "target_vocab_size"
        case embeddingDimension = "embedding_dim", hiddenDimension = "hidden_dim", layers, cell, attention
        case bidirectional, inputFeeding = "input_feeding", dropout
    }
}

/// The decoder's state between steps: recurrent states per layer, the last attentional
/// vector (for input feeding) and the source memory, all with one row per hypothesis.
public struct Seq2SeqDecoderState {
    public var layers: [Seq2SeqCellState]
    public var feed: Tensor
    public var memory: AttentionMemory?

    public func rows(_ indices: [Int32]) -> Seq2SeqDecoderState {
        Seq2SeqDecoderState(layers: layers.map { $0.rows(indices) }, feed: feed.indexSelect(rows: indices),
                            memory: memory?.rows(indices))
    }
}

/// Encoder: embedding → (bi)directional recurrent stack. Decoder: embedding (+ the previous
/// attentional vector) → recurrent cells stepping one token at a time → attention over the
/// encoder outputs → attentional vector tanh(W_c [context; h]) → output layer.
/// The decoder starts from tanh(W_b [final forward h; final backward h]) in every layer.
public final class Seq2SeqModel: Module {
    public let config: Seq2SeqConfig
    public let sourceEmbedding: Embedding
    public let encoder: Seq2SeqEncoderStack
    public let bridge: Linear
    public let targetEmbedding: Embedding
    public let decoderCells: [Seq2SeqCell]
    public let attention: Attention?
    public let combine: Linear
    public let output: Linear
    /// Draws dropout masks; saved with the trainer state.
    public var generator: RandomGenerator

    override public var propertyNames: [String: String] {
        ["sourceEmbedding": "encoder.embedding", "encoder": "encoder.rnn", "targetEmbedding": "decoder.embedding",
         "decoderCells": "decoder.cells", "attention": "decoder.attention", "combine": "decoder.combine",
         "output": "decoder.output", "bridge": "bridge"]
    }

    public init(_ config: Seq2SeqConfig, using rng: inout RandomGenerator) {
        self.config = config
        let e = config.embeddingDimension, h = config.hiddenDimension
        sourceEmbedding = Embedding(config.sourceVocabularySize, e, using: &rng)
        encoder = Seq2SeqEncoderStack(config.cell, inputSize: e, hiddenSize: h, layers: config.layers,
                                        bidirectional: config.bidirectional, dropout: config.dropout, using: &rng)
        let keyDimension = encoder.outputSize
        bridge = Linear(keyDimension, h, using: &rng)
        targetEmbedding = Embedding(config.targetVocabularySize, e, using: &rng)
        var cells: [Seq2SeqCell] = []
        for layer in 0..<config.layers {
            let inputSize = layer == 0 ? e + (config.inputFeeding ? h : 0) : h
            cells.append(Seq2SeqCell(config.cell, inputSize: inputSize, hiddenSize: h, using: &rng))
        }
        decoderCells = cells
        attention = config.attention == .none ? nil
            : Attention(config.attention, queryDimension: h, keyDimension: keyDimension, attentionDimension: h, using: &rng)
        combine = Linear(h + (config.attention == .none ? 0 : keyDimension), h, bias: false, using: &rng)
        output = Linear(h, config.targetVocabularySize, using: &rng)
        generator = rng.split()
    }

    private func drop(_ x: Tensor) -> Tensor {
        guard isTraining, config.dropout > 0 else { return x }
        return x.dropout(probability: config.dropout, using: &generator)
    }

    /// Runs the encoder and builds the decoder's first state, one row per source.
    public func encode(source: [Int32], lengths: [Int], steps: Int) -> Seq2SeqDecoderState {
        let batch = lengths.count
        let embedded = drop(sourceEmbedding(source, shape: [batch, steps]))
        let (outputs, finals) = encoder(embedded, lengths: lengths, rng: &generator)
        let summary = finals.count == 1 ? finals[0].h : Tensor.concat(finals.map(\.h), axis: 1)
        let start = bridge(summary).tanh()
        let layers = decoderCells.map { cell in
            Seq2SeqCellState(h: start, c: cell.kind == .lstm ? Tensor(zeros: [batch, config.hiddenDimension]) : nil)
        }
        return Seq2SeqDecoderState(layers: layers, feed: Tensor(zeros: [batch, config.hiddenDimension]),
                                   memory: attention?.memory(keys: outputs, lengths: lengths))
    }

    /// One decoder step for the previous tokens `(B)`: the attentional vector `(B, H)` (the
    /// output layer's input), the attention weights `(B, S)` if any, and the next state.
    public func decodeStep(_ tokens: [Int32], _ state: Seq2SeqDecoderState) -> (Tensor, Tensor?, Seq2SeqDecoderState) {
        var x = drop(targetEmbedding(tokens))
        if config.inputFeeding { x = Tensor.concat([x, state.feed], axis: 1) }
        var next = state
        for (layer, cell) in decoderCells.enumerated() {
            if layer > 0 { x = drop(x) }
            next.layers[layer] = cell.step(x, state.layers[layer])
            x = next.layers[layer].h
        }
        var weights: Tensor?
        var combined = x
        if let attention, let memory = state.memory {
            let (context, w) = attention(query: x, memory: memory)
            weights = w
            combined = Tensor.concat([context, x], axis: 1)
        }
        let attentional = combine(combined).tanh()
        next.feed = attentional
        return (attentional, weights, next)
    }

    /// Next-token log-probabilities `(B, V)` from attentional vectors.
    public func logProbabilities(_ attentional: Tensor) -> Tensor { output(attentional).logSoftmax() }

    /// Mean cross-entropy per target token with teacher forcing. With `samplingProbability`
    /// > 0 (scheduled sampling), each step's input is, with that probability per row, the
    /// model's own previous prediction instead of the reference token.
    public func loss(_ batch: Seq2SeqBatch, samplingProbability: Float = 0, rng: inout RandomGenerator) -> Tensor {
        var state = encode(source: batch.source, lengths: batch.sourceLengths, steps: batch.sourceLength)
        let rows = batch.count, steps = batch.targetLength
        var attentionals: [Tensor] = []
        var predicted: [Int32] = []
        for t in 0..<steps {
            var tokens = (0..<rows).map { batch.decoderInput[$0 * steps + t] }
            if t > 0 && samplingProbability > 0 {
                for r in 0..<rows where tokens[r] != Int32(Seq2SeqVocabulary.padding) && rng.nextFloat() < samplingProbability {
                    tokens[r] = predicted[r]
                }
            }
            let (attentional, _, next) = decodeStep(tokens, state)
            state = next
            attentionals.append(attentional)
            if samplingProbability > 0 {
                predicted = withoutGradients { output(attentional.detached()).argmaxLastAxis().map(Int32.init) }
            }
        }
        let stacked = Tensor.stack(attentionals, axis: 1)  // (B, T, H)
        let logits = output(drop(stacked))  // (B, T, V)
        return logits.crossEntropy(targets: batch.decoderTarget, ignoreIndex: Int32(Seq2SeqVocabulary.padding))
    }
}
