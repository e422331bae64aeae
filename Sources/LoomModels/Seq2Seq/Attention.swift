import LoomNN
import LoomTensor

/// How the decoder scores source positions.
public enum AttentionKind: String, Codable, CaseIterable, Sendable {
    /// Additive (Bahdanau): score = v · tanh(W_q q + W_k k).
    case bahdanau
    /// Multiplicative, Luong's "general": score = q · W k.
    case luong
    case none
}

/// The source side prepared once per batch: keys `(B, S, D)`, their projection
/// (`W_k k` for additive attention, `W k` for multiplicative, `(B, S, A)`), and an additive
/// mask `(B, S)` that is 0 on real positions and -1e9 on padding.
public struct AttentionMemory {
    public var keys: Tensor
    public var projectedKeys: Tensor
    public var maskBias: Tensor

    /// Rows picked by index, for beam search.
    public func rows(_ indices: [Int32]) -> AttentionMemory {
        func pick(_ t: Tensor) -> Tensor {
            let rowSize = t.count / t.shape[0]
            return t.reshaped([t.shape[0], rowSize]).indexSelect(rows: indices).reshaped([indices.count] + t.shape.dropFirst())
        }
        return AttentionMemory(keys: pick(keys), projectedKeys: pick(projectedKeys), maskBias: pick(maskBias))
    }

    public static func maskBias(lengths: [Int], steps: Int) -> Tensor {
        let m = Tensor(zeros: [lengths.count, steps])
        for (row, length) in lengths.enumerated() where length < steps {
            (m.pointer + row * steps + length).update(repeating: -1e9, count: steps - length)
        }
        return m
    }
}

/// Attention of a decoder query over encoder outputs, masked over source padding.
public final class Attention: Module {
    public let kind: AttentionKind
    /// Additive: W_k (A, D) and W_q (A, Q) and v (1, A). Multiplicative: W_k is W (Q, D).
    public let keyProjection: Linear
    public let queryProjection: Linear?
    public let score: Linear?

    override public var propertyNames: [String: String] {
        ["keyProjection": "key", "queryProjection": "query", "score": "v"]
    }

    public init(_ kind: AttentionKind, queryDimension: Int, keyDimension: Int, attentionDimension: Int,
                using rng: inout RandomGenerator) {
        precondition(kind != .none, "no attention module for attention 'none'")
        self.kind = kind
        if kind == .bahdanau {
            keyProjection = Linear(keyDimension, attentionDimension, bias: false, using: &rng)
            queryProjection = Linear(queryDimension, attentionDimension, bias: true, using: &rng)
            score = Linear(attentionDimension, 1, bias: false, using: &rng)
        } else {
            keyProjection = Linear(keyDimension, queryDimension, bias: false, using: &rng)
            queryProjection = nil
            score = nil
        }
    }

    public func memory(keys: Tensor, lengths: [Int]) -> AttentionMemory {
        AttentionMemory(keys: keys, projectedKeys: keyProjection(keys),
                        maskBias: AttentionMemory.maskBias(lengths: lengths, steps: keys.shape[1]))
    }

    /// The context `(B, D)` and weights `(B, S)` for queries `(B, Q)`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory) -> (context: Tensor, weights: Tensor) {
        let batch = query.shape[0], steps = memory.keys.shape[1]
        let scores: Tensor
        switch kind {
        case .bahdanau:
            let q = queryProjection!(query).unsqueezed(at: 1)  // (B, 1, A)
            scores = score!((memory.projectedKeys + q).tanh()).reshaped([batch, steps])  // (B, S)
        case .luong:
            let q = query.unsqueezed(at: 2)  // (B, Q, 1)
            scores = Tensor.matmul(memory.projectedKeys, q).reshaped([batch, steps])  // (B, S, Q)·(B, Q, 1)
        case .none:
            preconditionFailure("attention 'none' has no scores")
        }
        let weights = (scores + memory.maskBias).softmax()
        let context = Tensor.matmul(weights.unsqueezed(at: 1), memory.keys).reshaped([batch, memory.keys.shape[2]])
        return (context, weights)
    }
}
