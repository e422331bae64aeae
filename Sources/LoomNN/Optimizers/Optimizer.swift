import LoomTensor

/// One parameter's share of an optimizer step: raw pointers to its values, its gradient
/// (with any L1/L2 penalty already added) and its state slots, in `slotNames` order.
public struct ParameterUpdate {
    /// The parameter's position in `Optimizer.parameters`.
    public let index: Int
    public let name: String
    public let shape: [Int]
    public let count: Int
    public let value: UnsafeMutablePointer<Float>
    public let gradient: UnsafePointer<Float>
    public let slots: [UnsafeMutablePointer<Float>]
    /// How many steps this parameter has taken, counting this one (1 on the first).
    public let step: Int
    public let learningRate: Float
}

/// The base of every optimizer. It holds the (name, parameter) pairs, the state slots
/// (one flat buffer per slot, viewed per parameter, as llm.c keeps its moments), the step
/// counts and the learning rate; a subclass implements only `update(_:)`.
///
/// Parameters whose gradient is nil (no backward pass reached them), and parameters frozen
/// after the optimizer was made, are skipped and do not advance their step count.
///
/// Gradient accumulation over k micro-batches: call `backward()` on `loss / k` for each
/// micro-batch, then `step()` once and `zeroGrad()` (or use `accumulateGradients`).
open class Optimizer {
    public let parameters: [(name: String, parameter: Parameter)]
    /// Set it before any step to follow a schedule.
    public var learningRate: Float
    /// Coupled penalties added to the gradient before the update: l2·w (PyTorch's
    /// `weight_decay` for every optimizer except AdamW) and l1·sign(w).
    public var l2Penalty: Float
    public var l1Penalty: Float = 0
    /// Steps taken (calls to `step()`).
    public internal(set) var stepCount = 0
    /// Per-parameter step counts, which drive bias corrections.
    public internal(set) var parameterSteps: [Int]
    /// State buffers: `slotStorage[s]` holds slot `s` for every parameter, back to back.
    let slotStorage: [TensorStorage]
    let offsets: [Int]
    /// Per parameter, its views into each slot buffer (made once, so a step allocates nothing).
    private let slotPointers: [[UnsafeMutablePointer<Float>]]
    private var scratch: TensorStorage?

    /// The names of the per-parameter state buffers, PyTorch's state keys (`exp_avg`, ...).
    public let slotNames: [String]
    /// The name saved with the state, checked when loading it.
    open class var kind: String { String(describing: self) }

    public init(parameters: [(String, Parameter)], learningRate: Float, l2Penalty: Float = 0, slotNames: [String]) {
        self.slotNames = slotNames
        self.parameters = parameters.map { (name: $0.0, parameter: $0.1) }
        self.learningRate = learningRate
        self.l2Penalty = l2Penalty
        var offsets: [Int] = []
        var total = 0
        for (_, p) in parameters { offsets.append(total); total += p.count }
        self.offsets = offsets
        parameterSteps = Array(repeating: 0, count: parameters.count)
        let storage = slotNames.map { _ in TensorStorage(count: total, repeating: 0) }
        slotStorage = storage
        slotPointers = offsets.map { offset in storage.map { $0.pointer + offset } }
    }

    /// The per-parameter update. `u.value` must be updated in place.
    open func update(_ u: ParameterUpdate) {
        fatalError("\(Self.self) must implement update(_:)")
    }

    /// Applies one update to every parameter that has a gradient.
    public func step() {
        stepCount += 1
        for (index, (name, p)) in parameters.enumerated() {
            guard p.isTrainable, let grad = p.grad else { continue }
            parameterSteps[index] += 1
            let gradient = penalized(grad.pointer, value: p.value.pointer, count: p.count)
            update(ParameterUpdate(index: index, name: name, shape: p.shape, count: p.count, value: p.value.pointer,
                                   gradient: gradient, slots: slotPointers[index], step: parameterSteps[index],
                                   learningRate: learningRate))
        }
    }

    /// The gradient with penalties added, in a scratch buffer so that the parameter's own
    /// gradient is left as backward produced it.
    private func penalized(_ g: UnsafeMutablePointer<Float>, value w: UnsafeMutablePointer<Float>, count: Int) -> UnsafePointer<Float> {
        if l2Penalty == 0 && l1Penalty == 0 { return UnsafePointer(g) }
        if scratch == nil || scratch!.count < count {
            scratch = TensorStorage(count: parameters.map(\.parameter.count).max() ?? count)
        }
        let out = scratch!.pointer, l1 = l1Penalty, l2 = l2Penalty
        for i in 0..<count {
            let sign: Float = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0)
            out[i] = g[i] + l2 * w[i] + l1 * sign
        }
        return UnsafePointer(out)
    }

    /// Zeroes every parameter's gradient, lazily (see `Parameter.zeroGrad()`).
    public func zeroGrad() {
        for (_, p) in parameters { p.zeroGrad() }
    }

    /// Scales all gradients so their joint L2 norm is at most `maxNorm` (as PyTorch's
    /// `clip_grad_norm_`) and returns the norm before clipping. A non-finite norm is
    /// returned without scaling, so the caller can stop with a message about it.
    @discardableResult
    public func clipGradientNorm(maxNorm: Float) -> Float {
        LoomNN.clipGradientNorm(parameters.map(\.parameter), maxNorm: maxNorm)
    }
}
