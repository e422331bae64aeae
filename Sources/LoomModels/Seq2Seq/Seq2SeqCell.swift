import LoomNN
import LoomTensor

/// The recurrent cell of a seq2seq encoder and decoder.
public enum Seq2SeqCellKind: String, Codable, CaseIterable, Sendable {
    case lstm, gru, rnn

    /// Gate blocks per step: LSTM i, f, g, o; GRU r, z, n; a plain tanh RNN one.
    public var gates: Int { self == .lstm ? 4 : (self == .gru ? 3 : 1) }

    /// The engine's fused recurrent op for this cell.
    var recurrentKind: RecurrentCellKind {
        switch self {
        case .lstm: return .lstm
        case .gru: return .gru
        case .rnn: return .rnnTanh
        }
    }
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

    /// Runs the cell over `input` (B, T, In) as one fused op (one GEMM for every step's input
    /// projection, one per step for the hidden state, a hand-written backward through time).
    /// With `lengths`, steps past a row's length leave its state alone and output zeros, and
    /// a reversed pass starts at the row's last real step.
    public func run(_ input: Tensor, from state: Seq2SeqCellState? = nil, lengths: [Int]? = nil,
                    reverse: Bool = false) -> (output: Tensor, final: Seq2SeqCellState) {
        let result = Tensor.recurrentSequence(
            kind.recurrentKind, input: input, weightIH: weightInputHidden.tensor, weightHH: weightHiddenHidden.tensor,
            biasIH: biasInputHidden.tensor, biasHH: biasHiddenHidden.tensor, hidden: state?.h, cell: state?.c,
            lengths: lengths, reverse: reverse)
        return (result.output, Seq2SeqCellState(h: result.hidden, c: result.cell))
    }

    /// One step from an input `(B, In)`.
    public func step(_ x: Tensor, _ state: Seq2SeqCellState) -> Seq2SeqCellState {
        run(x.reshaped([x.shape[0], 1, x.shape[1]]), from: state).final
    }
}

/// A (bi)directional multi-layer encoder over padded batches with lengths. Positions past a
/// sequence's end leave the state unchanged and output zeros (attention masks them), so the
/// forward direction's final state is the state at the last real token and the backward
/// direction starts at that token.
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
        var input = x
        var finals: [Seq2SeqCellState] = []
        for layer in 0..<forwardCells.count {
            if layer > 0 && dropout > 0 && isTraining { input = input.dropout(probability: dropout, using: &rng) }
            let cells = [forwardCells[layer]] + (backwardCells.isEmpty ? [] : [backwardCells[layer]])
            var outputs: [Tensor] = []
            finals = []
            for (direction, cell) in cells.enumerated() {
                let (output, final) = cell.run(input, lengths: lengths, reverse: direction == 1)
                outputs.append(output)
                finals.append(final)
            }
            input = outputs.count == 1 ? outputs[0] : Tensor.concat(outputs, axis: 2)
        }
        return (input, finals)
    }
}
