import LoomNN
import LoomTensor

/// nanoGPT's `CausalSelfAttention`: one projection to q, k and v (`c_attn`, weight (3C, C)),
/// the fused causal attention op, and the output projection (`c_proj`).
public final class GPTAttention: Module {
    public let inputProjection: Linear  // c_attn: (B, T, C) -> (B, T, 3C)
    public let outputProjection: Linear  // c_proj: (B, T, C) -> (B, T, C)
    public let attentionDropout: Dropout
    public let residualDropout: Dropout
    public let heads: Int

    init(_ config: GPTConfig, using rng: inout RandomGenerator) {
        inputProjection = Linear(config.width, 3 * config.width, bias: config.bias, using: &rng)
        outputProjection = Linear(config.width, config.width, bias: config.bias, using: &rng)
        attentionDropout = Dropout(config.dropout, using: &rng)
        residualDropout = Dropout(config.dropout, using: &rng)
        heads = config.heads
    }

    override public var propertyNames: [String: String] {
        ["inputProjection": "c_attn", "outputProjection": "c_proj",
         "attentionDropout": "attn_dropout", "residualDropout": "resid_dropout"]
    }

    /// (B, T, C) -> (B, T, C)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let qkv = inputProjection(x)  // (B, T, 3C)
        let mixed = isTraining && attentionDropout.probability > 0
            ? attentionDropout.withGenerator { qkv.causalSelfAttention(heads: heads, dropout: attentionDropout.probability, using: &$0) }
            : qkv.causalSelfAttention(heads: heads)  // (B, T, C)
        return residualDropout(outputProjection(mixed))
    }
}

/// The feed-forward half of a block: C -> 4C, GELU (tanh approximation), 4C -> C.
public final class GPTFeedForward: Module {
    public let expand: Linear  // c_fc
    public let project: Linear  // c_proj
    public let dropout: Dropout

    init(_ config: GPTConfig, using rng: inout RandomGenerator) {
        expand = Linear(config.width, 4 * config.width, bias: config.bias, using: &rng)
        project = Linear(4 * config.width, config.width, bias: config.bias, using: &rng)
        dropout = Dropout(config.dropout, using: &rng)
    }

    override public var propertyNames: [String: String] { ["expand": "c_fc", "project": "c_proj"] }

    /// (B, T, C) -> (B, T, C)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        dropout(project(expand(x).gelu()))
    }
}

/// A pre-LayerNorm transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
public final class GPTBlock: Module {
    public let attentionNorm: LayerNorm  // ln_1
    public let attention: GPTAttention  // attn
    public let feedForwardNorm: LayerNorm  // ln_2
    public let feedForward: GPTFeedForward  // mlp

    init(_ config: GPTConfig, using rng: inout RandomGenerator) {
        attentionNorm = LayerNorm(config.width, bias: config.bias)
        attention = GPTAttention(config, using: &rng)
        feedForwardNorm = LayerNorm(config.width, bias: config.bias)
        feedForward = GPTFeedForward(config, using: &rng)
    }

    override public var propertyNames: [String: String] {
        ["attentionNorm": "ln_1", "attention": "attn", "feedForwardNorm": "ln_2", "feedForward": "mlp"]
    }

    /// (B, T, C) -> (B, T, C)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let afterAttention = x + attention(attentionNorm(x))
        return afterAttention + feedForward(feedForwardNorm(afterAttention))
    }
}

/// nanoGPT's `transformer` dictionary: embeddings, the blocks and the final layer norm.
public final class GPTTransformer: Module {
    public let tokenEmbedding: Embedding  // wte (V, C), also the output projection
    public let positionEmbedding: Embedding  // wpe (block_size, C)
    public let embeddingDropout: Dropout  // drop
    public let blocks: [GPTBlock]  // h
    public let finalNorm: LayerNorm  // ln_f

    init(_ config: GPTConfig, using rng: inout RandomGenerator) {
        tokenEmbedding = Embedding(config.vocabularySize, config.width, using: &rng)
        positionEmbedding = Embedding(config.contextLength, config.width, using: &rng)
        embeddingDropout = Dropout(config.dropout, using: &rng)
        var blocks: [GPTBlock] = []
        for _ in 0..<config.layers { blocks.append(GPTBlock(config, using: &rng)) }
        self.blocks = blocks
        finalNorm = LayerNorm(config.width, bias: config.bias)
    }

    override public var propertyNames: [String: String] {
        ["tokenEmbedding": "wte", "positionEmbedding": "wpe", "embeddingDropout": "drop", "blocks": "h", "finalNorm": "ln_f"]
    }
}
