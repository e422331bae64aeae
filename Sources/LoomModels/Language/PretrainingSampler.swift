import Foundation
import LoomNN
import LoomTensor

/// Samples a continuation from any `LanguageModel` by running the whole (cropped) window
/// for every new token. Slow for long texts, but it needs nothing from the model beyond
/// its logits, which is what the pretraining loop wants for its periodic samples.
public enum PretrainingSampler {
    /// `count` new tokens after `prompt`, drawn at `temperature` from the `topK` most likely.
    public static func continuation(of prompt: [Int32], model: any LanguageModel, count: Int,
                                    temperature: Float = 1, topK: Int = 200,
                                    using rng: inout RandomGenerator) -> [Int32] {
        precondition(!prompt.isEmpty, "sampling needs at least one prompt token")
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var tokens = prompt
        var produced: [Int32] = []
        let vocabulary = model.vocabularySize
        withoutGradients {
            for _ in 0..<count {
                let window = Array(tokens.suffix(model.contextLength))
                let logits = model.logits(tokens: window, batch: 1, length: window.count)
                let last = logits.pointer + (window.count - 1) * vocabulary
                let next = Int32(draw(from: last, count: vocabulary, temperature: temperature, topK: topK, using: &rng))
                tokens.append(next)
                produced.append(next)
            }
        }
        return produced
    }

    /// One index drawn from softmax(logits / temperature) restricted to the `topK` largest.
    static func draw(from logits: UnsafePointer<Float>, count: Int, temperature: Float, topK: Int,
                     using rng: inout RandomGenerator) -> Int {
        if temperature <= 0 {
            var best = 0
            for i in 1..<count where logits[i] > logits[best] { best = i }
            return best
        }
        var scaled = (0..<count).map { logits[$0] / temperature }
        if topK > 0 && topK < count {
            let cutoff = scaled.sorted(by: >)[topK - 1]
            for i in 0..<count where scaled[i] < cutoff { scaled[i] = -.infinity }
        }
        let maximum = scaled.max() ?? 0
        var weights = scaled.map { Double(Foundation.exp($0 - maximum)) }
        let total = weights.reduce(0, +)
        for i in weights.indices { weights[i] /= total }
        var u = rng.nextDouble()
        for (i, w) in weights.enumerated() {
            u -= w
            if u < 0 { return i }
        }
        return weights.lastIndex { $0 > 0 } ?? count - 1
    }
}
