import Foundation
import LoomNN
import LoomTensor

/// A language model whose last hidden layer can be read: the body a classifier is
/// fine-tuned on.
public protocol SequenceEncoder: LanguageModel {
    /// The width C of the hidden states.
    var hiddenWidth: Int { get }
    /// Hidden states (B, T, C) for `tokens` (B, T), before the output projection.
    func hiddenStates(tokens: [Int32], batch: Int, length: Int) -> Tensor
}

/// How a sequence of hidden states becomes one vector.
public enum SequencePooling: String, Codable, CaseIterable {
    /// The state at the last real token: with causal attention it has seen the whole text.
    case last
    /// The mean of the states of the real (non-padding) tokens.
    case mean
}

/// The config of a fine-tuned classifier: its body's config, the label names and the pooling.
public struct SequenceClassifierConfig<Body: ModelConfiguration & Equatable>: ModelConfiguration, Equatable {
    public static var kind: String { Body.kind + "-classifier" }
    public var body: Body
    public var labels: [String]
    public var pooling: SequencePooling

    public init(body: Body, labels: [String], pooling: SequencePooling) {
        self.body = body
        self.labels = labels
        self.pooling = pooling
    }
}

/// A pretrained body with a linear classification head on its pooled hidden states.
///
/// Texts in a batch are padded on the right to the longest one; because the body is
/// causal, padding never changes the states of real tokens, and pooling reads only those.
public final class SequenceClassifier: Module {
    public let body: any SequenceEncoder
    public let head: Linear
    public let pooling: SequencePooling
    public let labels: [String]

    public init(body: any SequenceEncoder, labels: [String], pooling: SequencePooling, using rng: inout RandomGenerator) {
        precondition(labels.count >= 2, "a classifier needs at least two labels")
        self.body = body
        self.labels = labels
        self.pooling = pooling
        head = Linear(body.hiddenWidth, labels.count, using: &rng)
    }

    public var contextLength: Int { body.contextLength }

    /// Whether the body's weights are held fixed (only the head trains).
    public var isBodyFrozen: Bool { body.parameters.allSatisfy { $0.kind != .weight || $0.isFrozen } }

    public func freezeBody(_ frozen: Bool = true) { body.freeze(frozen) }

    /// Logits (B, labels) for a batch of token sequences, each 1...contextLength long.
    public func logits(_ sequences: [[Int32]]) -> Tensor {
        let batch = sequences.count
        let length = sequences.map(\.count).max() ?? 1
        precondition(sequences.allSatisfy { !$0.isEmpty && $0.count <= contextLength }, "sequences must hold 1...\(contextLength) tokens")
        var tokens = [Int32](repeating: 0, count: batch * length)
        for (b, sequence) in sequences.enumerated() {
            for (t, token) in sequence.enumerated() { tokens[b * length + t] = token }
        }
        let hidden = isBodyFrozen && isTraining
            ? withoutGradients { body.hiddenStates(tokens: tokens, batch: batch, length: length) }
            : body.hiddenStates(tokens: tokens, batch: batch, length: length)
        return head(pool(hidden, lengths: sequences.map(\.count)))
    }

    /// Pools (B, T, C) hidden states into (B, C).
    func pool(_ hidden: Tensor, lengths: [Int]) -> Tensor {
        let batch = hidden.shape[0], length = hidden.shape[1], width = hidden.shape[2]
        switch pooling {
        case .last:
            let rows = lengths.enumerated().map { Int32($0.offset * length + $0.element - 1) }
            return hidden.reshaped([batch * length, width]).indexSelect(rows: rows)
        case .mean:
            var weights = [Float](repeating: 0, count: batch * length)
            for (b, n) in lengths.enumerated() {
                for t in 0..<n { weights[b * length + t] = 1 / Float(n) }
            }
            let mask = Tensor(shape: [batch, 1, length], values: weights)
            return Tensor.matmul(mask, hidden).reshaped([batch, width])
        }
    }

    /// Mean cross-entropy; with `classWeights`, PyTorch's weighted mean (Σ wᵢ·lossᵢ / Σ wᵢ).
    public func loss(_ sequences: [[Int32]], labels targets: [Int32], classWeights: [Float]? = nil) -> Tensor {
        let logits = logits(sequences)
        guard let classWeights else { return logits.crossEntropy(targets: targets) }
        let weights = targets.map { classWeights[Int($0)] }
        let total = weights.reduce(0, +)
        let picked = logits.logSoftmax().gatherLastAxis(targets)
        return (picked * Tensor(shape: [targets.count], values: weights)).sum() * (-1 / max(total, 1e-12))
    }

    /// The predicted label index of each sequence, in evaluation mode.
    public func predict(_ sequences: [[Int32]]) -> [Int] {
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        return withoutGradients { logits(sequences).argmaxLastAxis() }
    }

    /// Class probabilities of one sequence.
    public func probabilities(_ sequence: [Int32]) -> [Float] {
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        return withoutGradients { logits([sequence]).softmax().scalars }
    }

    /// sklearn's "balanced" weights: n / (classes · count of the class).
    public static func balancedWeights(labels: [Int32], classes: Int) -> [Float] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels { counts[Int(label)] += 1 }
        return counts.map { $0 == 0 ? 0 : Float(labels.count) / Float(classes * $0) }
    }
}
