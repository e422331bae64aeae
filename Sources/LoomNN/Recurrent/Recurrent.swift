import LoomTensor

/// How a bidirectional layer joins its two directions: side by side (B, T, 2H), as
/// PyTorch does, or added (B, T, H).
public enum BidirectionalMerge: String, Codable, Sendable {
    case concat, sum
}

/// The four weights of one direction of one layer, in PyTorch's layout.
public final class RecurrentWeights {
    public let weightIH: Parameter  // (G·H, I)
    public let weightHH: Parameter  // (G·H, H)
    public let biasIH: Parameter?   // (G·H)
    public let biasHH: Parameter?   // (G·H)

    init(gateWidth: Int, inputSize: Int, hiddenSize: Int, bias: Bool, using rng: inout RandomGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        weightIH = Parameter(.randomUniform([gateWidth, inputSize], low: -bound, high: bound, using: &rng))
        weightHH = Parameter(.randomUniform([gateWidth, hiddenSize], low: -bound, high: bound, using: &rng))
        biasIH = bias ? Parameter(.randomUniform([gateWidth], low: -bound, high: bound, using: &rng)) : nil
        biasHH = bias ? Parameter(.randomUniform([gateWidth], low: -bound, high: bound, using: &rng)) : nil
    }

    /// (name, parameter) pairs with PyTorch's suffix, e.g. `weight_ih_l0_reverse`.
    func named(suffix: String) -> [(String, Parameter)] {
        var result = [("weight_ih" + suffix, weightIH), ("weight_hh" + suffix, weightHH)]
        if let biasIH { result.append(("bias_ih" + suffix, biasIH)) }
        if let biasHH { result.append(("bias_hh" + suffix, biasHH)) }
        return result
    }
}

/// A multi-layer, optionally bidirectional recurrent layer over any cell kind, with
/// batch-first input (B, T, I) and PyTorch's parameter names (`weight_ih_l0`,
/// `bias_hh_l1_reverse`, ...), so an `nn.LSTM`/`nn.GRU`/`nn.RNN` state dict loads by name.
///
/// Each layer and direction runs as one fused op (`Tensor.recurrentSequence`). Between
/// layers, dropout applies in training. `lengths` marks padded batches: a sequence's steps
/// past its length neither change its state nor produce output (zeros there).
public class Recurrent: Module {
    public let kind: RecurrentCellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let layerCount: Int
    public let bidirectional: Bool
    public let merge: BidirectionalMerge
    /// One entry per layer and direction: l0, l0_reverse, l1, ...
    public let slots: [RecurrentWeights]
    public let interLayerDropout: Dropout?

    public init(kind: RecurrentCellKind, inputSize: Int, hiddenSize: Int, layers: Int = 1,
                bidirectional: Bool = false, merge: BidirectionalMerge = .concat, dropout: Float = 0,
                bias: Bool = true, using rng: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0 && layers > 0, "recurrent sizes must be positive")
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layers
        self.bidirectional = bidirectional
        self.merge = merge
        let directions = bidirectional ? 2 : 1
        let layerOutput = bidirectional && merge == .concat ? 2 * hiddenSize : hiddenSize
        var slots: [RecurrentWeights] = []
        for layer in 0..<layers {
            for _ in 0..<directions {
                slots.append(RecurrentWeights(gateWidth: kind.gateCount * hiddenSize,
                                              inputSize: layer == 0 ? inputSize : layerOutput,
                                              hiddenSize: hiddenSize, bias: bias, using: &rng))
            }
        }
        self.slots = slots
        interLayerDropout = dropout > 0 && layers > 1 ? Dropout(dropout, using: &rng) : nil
    }

    public var directionCount: Int { bidirectional ? 2 : 1 }
    /// Features per time step of the output.
    public var outputSize: Int { bidirectional && merge == .concat ? 2 * hiddenSize : hiddenSize }

    public override func namedParameters(prefix: String = "") -> [(String, Parameter)] {
        var result = super.namedParameters(prefix: prefix)
        for (index, slot) in slots.enumerated() {
            let suffix = "_l\(index / directionCount)" + (index % directionCount == 1 ? "_reverse" : "")
            for (name, parameter) in slot.named(suffix: suffix) {
                result.append((prefix.isEmpty ? name : prefix + "." + name, parameter))
            }
        }
        return result
    }

    /// Runs the stack over `x` (B, T, inputSize). Returns the last layer's output
    /// (B, T, outputSize) and the final state (layers · directions, B, H).
    public func callAsFunction(_ x: Tensor, state: RecurrentState? = nil, lengths: [Int]? = nil)
        -> (output: Tensor, state: RecurrentState) {
        precondition(x.rank == 3 && x.shape[2] == inputSize, "\(type(of: self)) expects (batch, time, \(inputSize)), got \(x.shape)")
        let batch = x.shape[0]
        let slotCount = slots.count
        if let state {
            precondition(state.hidden.shape == [slotCount, batch, hiddenSize], "initial hidden state must be (\(slotCount), \(batch), \(hiddenSize)), got \(state.hidden.shape)")
            precondition(!kind.hasCellState || state.cell == nil || state.cell!.shape == [slotCount, batch, hiddenSize],
                         "initial cell state must be (\(slotCount), \(batch), \(hiddenSize))")
        }
        func initial(_ t: Tensor?, _ slot: Int) -> Tensor? {
            guard let t else { return nil }
            return slotCount == 1 ? t.reshaped([batch, hiddenSize]) : t.slice(axis: 0, slot..<(slot + 1)).reshaped([batch, hiddenSize])
        }
        var layerInput = x
        var hiddens: [Tensor] = [], cells: [Tensor] = []
        for layer in 0..<layerCount {
            var outputs: [Tensor] = []
            for direction in 0..<directionCount {
                let slot = layer * directionCount + direction
                let w = slots[slot]
                let result = Tensor.recurrentSequence(
                    kind, input: layerInput, weightIH: w.weightIH.tensor, weightHH: w.weightHH.tensor,
                    biasIH: w.biasIH?.tensor, biasHH: w.biasHH?.tensor,
                    hidden: initial(state?.hidden, slot), cell: kind.hasCellState ? initial(state?.cell, slot) : nil,
                    lengths: lengths, reverse: direction == 1)
                outputs.append(result.output)
                hiddens.append(result.hidden)
                if let cell = result.cell { cells.append(cell) }
            }
            var output = outputs[0]
            if outputs.count == 2 { output = merge == .concat ? Tensor.concat(outputs, axis: 2) : outputs[0] + outputs[1] }
            if layer < layerCount - 1, let interLayerDropout { output = interLayerDropout(output) }
            layerInput = output
        }
        let finalState = RecurrentState(hidden: Tensor.stack(hiddens, axis: 0),
                                        cell: cells.isEmpty ? nil : Tensor.stack(cells, axis: 0))
        return (layerInput, finalState)
    }

    /// A zero initial state for a batch.
    public func zeroState(batch: Int) -> RecurrentState {
        .zeros(slots: slots.count, batch: batch, width: hiddenSize, withCell: kind.hasCellState)
    }
}

/// `torch.nn.LSTM` with `batch_first=True`.
public final class LSTM: Recurrent {
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false,
                merge: BidirectionalMerge = .concat, dropout: Float = 0, bias: Bool = true, using rng: inout RandomGenerator) {
        super.init(kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional,
                   merge: merge, dropout: dropout, bias: bias, using: &rng)
    }
}

/// `torch.nn.GRU` with `batch_first=True`.
public final class GRU: Recurrent {
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bidirectional: Bool = false,
                merge: BidirectionalMerge = .concat, dropout: Float = 0, bias: Bool = true, using rng: inout RandomGenerator) {
        super.init(kind: .gru, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bidirectional: bidirectional,
                   merge: merge, dropout: dropout, bias: bias, using: &rng)
    }
}

/// `torch.nn.RNN` with `batch_first=True` (nonlinearity tanh or relu).
public final class RNN: Recurrent {
    public enum Nonlinearity: String, Codable, Sendable { case tanh, relu }

    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, nonlinearity: Nonlinearity = .tanh,
                bidirectional: Bool = false, merge: BidirectionalMerge = .concat, dropout: Float = 0, bias: Bool = true,
                using rng: inout RandomGenerator) {
        super.init(kind: nonlinearity == .tanh ? .rnnTanh : .rnnRelu, inputSize: inputSize, hiddenSize: hiddenSize,
                   layers: layers, bidirectional: bidirectional, merge: merge, dropout: dropout, bias: bias, using: &rng)
    }
}
