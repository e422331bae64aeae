import LoomNN
import LoomTensor

/// The recurrent cell of a seq2seq encoder and decoder.
public enum Seq2SeqCellKind: String, Codable, CaseIterable, Sendable {
    case lstm, gru, rnn

    /// Gate blocks per step: LSTM i, f, g, o; GRU r, z, n; a plain tanh RNN one.
    public var gates: Int { self == .lstm ? 4 : (self == .gru ? 3 : 1) }
}

/// A recurrent state: `h` (B, H), and for an LSTM the cell `c` (B, H).
public struct Seq2SeqCellState {
    public var h: Tensor
    public var c: Tensor?

    public init(h: Tensor, c: Tensor?) { self.h = h; self.c = c }

    /// Rows picked by index (beam search reorders hypotheses this way).
    public func rows(_ indices: [Int32]) -> Seq2SeqCellState {
        Seq2SeqCellState(h: h.indexSelect(rows: indices), c: c?.indexSelect(rows: indices))
    }

    /// Keeps the old state in rows whose mask is 0 (positions past a sequence's end).
    func keeping(_ old: Seq2SeqCellState, where mask: Tensor) -> Seq2SeqCellState {
        Seq2SeqCellState(h: .where(mask, h, old.h), c: c.map { Tensor.where(mask, $0, old.c!) })
    }
}

/// One cell's weights in PyTorch's layout and initialization (uniform ±1/√H): `weight_ih`
/// (G·H, In), `weight_hh` (G·H, H), `bias_ih`, `bias_hh`. The input projection of a whole
/// sequence is one GEMM; each step adds one GEMM for the hidden state.
public final class Seq2SeqCell: Module {
    public let kind: Seq2SeqCellKind
    public let weightInputHidden: Parameter
    public let weightHiddenHidden: Parameter
    public let biasInputHidden: Parameter
    public let biasHiddenHidden: Parameter

    override public var propertyNames: [String: String] {
        ["weightInputHidden": "weight_ih", "weightHiddenHidden": "weight_hh",
         "biasInputHidden": "bias_ih", "biasHiddenHidden": "bias_hh"]
    }

    public init(_ kind: Seq2SeqCellKind, inputSize: Int, hiddenSize: Int, using rng: inout RandomGenerator) {
        self.kind = kind
        let bound = 1 / Float(hiddenSize).squareRoot()
        let g = kind.gates * hiddenSize
        weightInputHidden = Parameter(.randomUniform([g, inputSize], low: -bound, high: bound, using: &rng))
        weightHiddenHidden = Parameter(.randomUniform([g, hiddenSize], low: -bound, high: bound, using: &rng))
        biasInputHidden = Parameter(.randomUniform([g], low: -bound, high: bound, using: &rng))
        biasHiddenHidden = Parameter(.randomUniform([g], low: -bound, high: bound, using: &rng))
    }

    public var hiddenSize: Int { weightHiddenHidden.shape[1] }

    public func zeroState(batch: Int) -> Seq2SeqCellState {
        Seq2SeqCellState(h: Tensor(zeros: [batch, hiddenSize]), c: kind == .lstm ? Tensor(zeros: [batch, hiddenSize]) : nil)
    }

    /// x W_ihᵀ + b_ih for inputs `[..., In]`.
    public func projectInput(_ x: Tensor) -> Tensor {
        .linear(x, weight: weightInputHidden.tensor, bias: biasInputHidden.tensor)
    }

    /// One step from the projected input `(B, G·H)`.
    public func step(projected x: Tensor, _ state: Seq2SeqCellState) -> Seq2SeqCellState {
        let hidden = Tensor.linear(state.h, weight: weightHiddenHidden.tensor, bias: biasHiddenHidden.tensor)
        let size = hiddenSize
        switch kind {
        case .rnn:
            return Seq2SeqCellState(h: (x + hidden).tanh(), c: nil)
        case .lstm:
            let gates = (x + hidden).split(sizes: [size, size, size, size], axis: 1)
            let input = gates[0].sigmoid(), forget = gates[1].sigmoid()
            let candidate = gates[2].tanh(), output = gates[3].sigmoid()
            let c = forget * state.c! + input * candidate
            return Seq2SeqCellState(h: output * c.tanh(), c: c)
        case .gru:
            // PyTorch's GRU: the reset gate scales the hidden part of the candidate after its bias.
            let xs = x.split(sizes: [size, size, size], axis: 1)
            let hs = hidden.split(sizes: [size, size, size], axis: 1)
            let reset = (xs[0] + hs[0]).sigmoid(), update = (xs[1] + hs[1]).sigmoid()
            let candidate = (xs[2] + reset * hs[2]).tanh()
            return Seq2SeqCellState(h: candidate + update * (state.h - candidate), c: nil)
        }
    }

    /// One step from a raw input `(B, In)`.
    public func step(_ x: Tensor, _ state: Seq2SeqCellState) -> Seq2SeqCellState {
        step(projected: projectInput(x), state)
    }
}

/// A (bi)directional multi-layer encoder over padded batches with lengths. Positions past a
/// sequence's end keep the state unchanged, so the forward direction's final state is the
/// state at the last real token and the backward direction starts at that token.
public final class Seq2SeqEncoderStack: Module {
    public let forwardCells: [Seq2SeqCell]
    public let backwardCells: [Seq2SeqCell]
    public let dropout: Float

    override public var propertyNames: [String: String] { ["forwardCells": "forward", "backwardCells": "backward"] }

    public init(_ kind: Seq2SeqCellKind, inputSize: Int, hiddenSize: Int, layers: Int, bidirectional: Bool,
                dropout: Float, using rng: inout RandomGenerator) {
        var forward: [Seq2SeqCell] = [], backward: [Seq2SeqCell] = []
        let directions = bidirectional ? 2 : 1
        for layer in 0..<layers {
            let size = layer == 0 ? inputSize : hiddenSize * directions
            forward.append(Seq2SeqCell(kind, inputSize: size, hiddenSize: hiddenSize, using: &rng))
            if bidirectional { backward.append(Seq2SeqCell(kind, inputSize: size, hiddenSize: hiddenSize, using: &rng)) }
        }
        forwardCells = forward
        backwardCells = backward
        self.dropout = dropout
    }

    public var outputSize: Int { forwardCells[0].hiddenSize * (backwardCells.isEmpty ? 1 : 2) }

    /// Outputs `(B, S, outputSize)` and the last layer's final states (forward, then backward).
    public func callAsFunction(_ x: Tensor, lengths: [Int], rng: inout RandomGenerator) -> (Tensor, [Seq2SeqCellState]) {
        let batch = x.shape[0], steps = x.shape[1]
        var input = x
        var finals: [Seq2SeqCellState] = []
        for layer in 0..<forwardCells.count {
            if layer > 0 && dropout > 0 && isTraining { input = input.dropout(probability: dropout, using: &rng) }
            let cells = [forwardCells[layer]] + (backwardCells.isEmpty ? [] : [backwardCells[layer]])
            var outputs: [Tensor] = []
            finals = []
            for (direction, cell) in cells.enumerated() {
                let projected = cell.projectInput(input)  // (B, S, G·H)
                let width = projected.shape[2]
                var state = cell.zeroState(batch: batch)
                var perStep = [Tensor?](repeating: nil, count: steps)
                let order = direction == 0 ? Array(0..<steps) : Array((0..<steps).reversed())
                for t in order {
                    let xt = projected.slice(axis: 1, t..<(t + 1)).reshaped([batch, width])
                    var next = cell.step(projected: xt, state)
                    if lengths.contains(where: { $0 <= t }) {
                        next = next.keeping(state, where: Self.mask(lengths, t, cell.hiddenSize))
                    }
                    state = next
                    perStep[t] = state.h
                }
                outputs.append(Tensor.stack(perStep.map { $0! }, axis: 1))
                finals.append(state)
            }
            input = outputs.count == 1 ? outputs[0] : Tensor.concat(outputs, axis: 2)
        }
        return (input, finals)
    }

    /// 1 where position t lies inside the row's sequence, `(B, H)`.
    static func mask(_ lengths: [Int], _ t: Int, _ width: Int) -> Tensor {
        let m = Tensor(zeros: [lengths.count, width])
        for (row, length) in lengths.enumerated() where t < length {
            (m.pointer + row * width).update(repeating: 1, count: width)
        }
        return m
    }
}
