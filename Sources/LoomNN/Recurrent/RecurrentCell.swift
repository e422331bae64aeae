import LoomTensor

/// One step of a recurrent cell, for loops that feed each step's output back in (decoders
/// with attention, sampling). Parameters are named as `torch.nn.LSTMCell` names them
/// (`weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`). The step runs the same fused kernel
/// as `Recurrent`, over a sequence of length one.
public class RecurrentCell: Module {
    public let kind: RecurrentCellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let weightIH: Parameter
    public let weightHH: Parameter
    public let biasIH: Parameter?
    public let biasHH: Parameter?

    public override var propertyNames: [String: String] {
        ["weightIH": "weight_ih", "weightHH": "weight_hh", "biasIH": "bias_ih", "biasHH": "bias_hh"]
    }

    public init(kind: RecurrentCellKind, inputSize: Int, hiddenSize: Int, bias: Bool = true, using rng: inout RandomGenerator) {
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let weights = RecurrentWeights(gateWidth: kind.gateCount * hiddenSize, inputSize: inputSize,
                                       hiddenSize: hiddenSize, bias: bias, using: &rng)
        weightIH = weights.weightIH
        weightHH = weights.weightHH
        biasIH = weights.biasIH
        biasHH = weights.biasHH
    }

    /// The next state for input `x` (B, inputSize) and `state` (hidden and cell (B, H);
    /// zeros when nil). The new hidden state is also the step's output.
    public func callAsFunction(_ x: Tensor, state: RecurrentState? = nil) -> RecurrentState {
        precondition(x.rank == 2 && x.shape[1] == inputSize, "\(type(of: self)) expects (batch, \(inputSize)), got \(x.shape)")
        let batch = x.shape[0]
        let result = Tensor.recurrentSequence(
            kind, input: x.reshaped([batch, 1, inputSize]), weightIH: weightIH.tensor, weightHH: weightHH.tensor,
            biasIH: biasIH?.tensor, biasHH: biasHH?.tensor, hidden: state?.hidden,
            cell: kind.hasCellState ? state?.cell : nil)
        return RecurrentState(hidden: result.hidden, cell: result.cell)
    }
}

public final class LSTMCell: RecurrentCell {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, using rng: inout RandomGenerator) {
        super.init(kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, using: &rng)
    }
}

public final class GRUCell: RecurrentCell {
    public init(inputSize: Int, hiddenSize: Int, bias: Bool = true, using rng: inout RandomGenerator) {
        super.init(kind: .gru, inputSize: inputSize, hiddenSize: hiddenSize, bias: bias, using: &rng)
    }
}

public final class RNNCell: RecurrentCell {
    public init(inputSize: Int, hiddenSize: Int, nonlinearity: RNN.Nonlinearity = .tanh, bias: Bool = true,
                using rng: inout RandomGenerator) {
        super.init(kind: nonlinearity == .tanh ? .rnnTanh : .rnnRelu, inputSize: inputSize, hiddenSize: hiddenSize,
                   bias: bias, using: &rng)
    }
}
