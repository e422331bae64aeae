import Foundation
import LoomNN
import LoomTensor

/// How `GPT.generate` picks each next token.
public struct GenerationOptions: Equatable {
    public var maxNewTokens: Int
    /// Divides the logits; 0 picks the most likely token every time (greedy).
    public var temperature: Float
    /// Keeps only the k most likely tokens (nil: all).
    public var topK: Int?
    /// Keeps the smallest set of most likely tokens whose probabilities reach p (nucleus sampling).
    public var topP: Float?
    /// Generation stops when this token is drawn; it is neither reported nor returned.
    public var stopToken: Int?
    /// Draws only ids below this (a tokenizer smaller than the model's padded vocabulary).
    public var vocabularyLimit: Int?

    public init(maxNewTokens: Int = 100, temperature: Float = 1, topK: Int? = nil, topP: Float? = nil, stopToken: Int? = nil,
                vocabularyLimit: Int? = nil) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.stopToken = stopToken
        self.vocabularyLimit = vocabularyLimit
    }
}

extension GPT {
    /// Continues `prompt` by up to `options.maxNewTokens` tokens, calling `onToken` with each
    /// one as it is drawn, and returns the new tokens.
    ///
    /// Context longer than the block size is cropped from the left, as nanoGPT's `generate`
    /// does: each token is drawn from the logits of the last `contextLength` tokens. While the
    /// sequence fits, the key/value cache makes each step cost one position; once it is full,
    /// every step runs the cropped window afresh, since learned positions shift with the window.
    @discardableResult
    public func generate(prompt: [Int], options: GenerationOptions, using rng: inout RandomGenerator,
                         onToken: (Int) throws -> Void) rethrows -> [Int] {
        precondition(!prompt.isEmpty, "generate needs a prompt of at least one token")
        precondition(prompt.allSatisfy { $0 >= 0 && $0 < vocabularySize }, "prompt token outside the vocabulary")
        let cache = GPTKeyValueCache(config: config)
        var sequence = prompt
        var produced: [Int] = []
        var logits = forward(tokens: sequence.suffix(contextLength).map { Int32($0) }, cache: cache)
        while produced.count < options.maxNewTokens {
            let next = TokenSampler.sample(logits.pointer, count: vocabularySize, options: options, using: &rng)
            if next == options.stopToken { break }
            produced.append(next)
            sequence.append(next)
            try onToken(next)
            if produced.count == options.maxNewTokens { break }
            if cache.isFull {
                cache.reset()
                logits = forward(tokens: sequence.suffix(contextLength).map { Int32($0) }, cache: cache)
            } else {
                logits = forward(tokens: [Int32(next)], cache: cache)
            }
        }
        return produced
    }
}

extension GPT {
    /// `generate(prompt:options:using:onToken:)` without streaming.
    @discardableResult
    public func generate(prompt: [Int], options: GenerationOptions, using rng: inout RandomGenerator) -> [Int] {
        generate(prompt: prompt, options: options, using: &rng, onToken: { _ in })
    }
}

/// Draws a token from logits with temperature, top-k and top-p filtering.
public enum TokenSampler {
    public static func sample(_ logits: UnsafePointer<Float>, count vocabulary: Int, options: GenerationOptions,
                              using rng: inout RandomGenerator) -> Int {
        let count = Swift.max(1, Swift.min(vocabulary, options.vocabularyLimit ?? vocabulary))
        if options.temperature <= 0 {
            var best = 0
            for i in 0..<count where logits[i] > logits[best] { best = i }
            return best
        }
        var scaled = (0..<count).map { Double(logits[$0]) / Double(options.temperature) }
        if let k = options.topK, k > 0, k < count {
            // Like nanoGPT: everything below the k-th largest logit is dropped (ties stay).
            let threshold = scaled.sorted(by: >)[k - 1]
            for i in 0..<count where scaled[i] < threshold { scaled[i] = -.infinity }
        }
        let maximum = scaled.max() ?? 0
        var probabilities = scaled.map { Foundation.exp($0 - maximum) }
        if let p = options.topP, p > 0, p < 1 {
            let total = probabilities.reduce(0, +)
            let order = (0..<count).sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
            var cumulative = 0.0
            var keep = [Bool](repeating: false, count: count)
            for i in order {
                keep[i] = true
                cumulative += probabilities[i] / total
                if cumulative >= Double(p) { break }
            }
            for i in 0..<count where !keep[i] { probabilities[i] = 0 }
        }
        let total = probabilities.reduce(0, +)
        var u = rng.nextDouble() * total
        var last = 0
        for i in 0..<count where probabilities[i] > 0 {
            last = i
            u -= probabilities[i]
            if u < 0 { return i }
        }
        return last
    }
}
