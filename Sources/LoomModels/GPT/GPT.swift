import LoomCore
import LoomNN
import LoomTensor

/// GPT-2: token and learned position embeddings, pre-LayerNorm blocks of causal
/// self-attention and a GELU MLP, a final layer norm, and an output projection tied to the
/// token embedding.
///
/// Parameter names are nanoGPT's (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`
/// with PyTorch's `nn.Linear` layout [out, in], ..., `transformer.ln_f.weight`).
///
/// Tied output projection: the model owns one matrix, `transformer.wte.weight`, and its state
/// dict holds it once under that name (as Hugging Face's `save_pretrained` does). nanoGPT's
/// `state_dict()` also lists `lm_head.weight`, the same tensor; `load(nanoGPTStateDict:)`
/// accepts it and checks that it equals the embedding.
public final class GPT: Module, LanguageModel {
    public let config: GPTConfig
    public let transformer: GPTTransformer

    /// A model initialized as GPT-2 and nanoGPT do: weights N(0, 0.02), the projections back
    /// into the residual stream (`c_proj`) N(0, 0.02/√(2·n_layer)), biases zero, layer norms one.
    public init(config: GPTConfig, using rng: inout RandomGenerator) {
        precondition(config.vocabularySize > 0 && config.contextLength > 0 && config.layers >= 0, "bad GPT config \(config)")
        precondition(config.heads > 0 && config.width % config.heads == 0, "width \(config.width) does not split into \(config.heads) heads")
        self.config = config
        transformer = GPTTransformer(config, using: &rng)
        super.init()
        initializeWeights(using: &rng)
    }

    public convenience init(config: GPTConfig, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        self.init(config: config, using: &rng)
    }

    private func initializeWeights(using rng: inout RandomGenerator) {
        let residualStd = 0.02 / Float(2 * Swift.max(config.layers, 1)).squareRoot()
        for (name, module) in namedModules() {
            if let linear = module as? Linear {
                let std = name.hasSuffix("c_proj") ? residualStd : 0.02
                rng.fillNormal(linear.weight.value.pointer, count: linear.weight.count, std: std)
                linear.bias?.value.storage.zero()
            } else if let embedding = module as? Embedding {
                rng.fillNormal(embedding.weight.value.pointer, count: embedding.weight.count, std: 0.02)
            }
        }
    }

    public var contextLength: Int { config.contextLength }
    public var vocabularySize: Int { config.vocabularySize }
    public var width: Int { config.width }
    public var trainsInShards: Bool { true }

    /// The final layer norm's output (B, T, C): what the output projection and a
    /// classification head read.
    public func hiddenStates(tokens: [Int32], batch: Int, length: Int) -> Tensor {
        precondition(tokens.count == batch * length, "\(tokens.count) tokens for batch \(batch) × length \(length)")
        precondition(length >= 1 && length <= contextLength, "sequence length \(length) outside 1...\(contextLength)")
        let positions = (0..<(batch * length)).map { Int32($0 % length) }
        let embedded = transformer.tokenEmbedding(tokens, shape: [batch, length])
            + transformer.positionEmbedding(positions, shape: [batch, length])  // (B, T, C)
        var x = transformer.embeddingDropout(embedded)
        for block in transformer.blocks { x = block(x) }
        return transformer.finalNorm(x)
    }

    /// Logits (B, T, V): the hidden states times the token embedding transposed.
    public func logits(tokens: [Int32], batch: Int, length: Int) -> Tensor {
        Tensor.linear(hiddenStates(tokens: tokens, batch: batch, length: length),
                      weight: transformer.tokenEmbedding.weight.tensor, bias: nil)
    }
}

extension GPTConfig {
    /// Checks a configuration read from a file; the error names `file`.
    public func validate(file: String) throws {
        func fail(_ what: String) -> LoomError { LoomError("\(file): \(what)") }
        guard vocabularySize > 0 else { throw fail("vocab_size \(vocabularySize) must be positive") }
        guard contextLength > 0 else { throw fail("block_size \(contextLength) must be positive") }
        guard layers >= 1 else { throw fail("n_layer \(layers) must be at least 1") }
        guard heads >= 1, width >= 1, width % heads == 0 else {
            throw fail("n_embd \(width) must be a positive multiple of n_head \(heads)")
        }
        guard dropout >= 0 && dropout < 1 else { throw fail("dropout \(dropout) must lie in [0, 1)") }
    }
}
