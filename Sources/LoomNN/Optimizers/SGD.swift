import LoomTensor

/// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), dampening
/// and coupled weight decay, following `torch.optim.SGD` step for step.
public final class SGD: Optimizer {
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool

    public init(parameters: [(String, Parameter)], learningRate: Float, momentum: Float = 0,
                dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        super.init(parameters: parameters, learningRate: learningRate, l2Penalty: weightDecay,
                   slotNames: momentum > 0 ? ["momentum_buffer"] : [])
    }

    public convenience init(_ module: Module, learningRate: Float, momentum: Float = 0,
                            dampening: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.init(parameters: module.trainableParameters, learningRate: learningRate, momentum: momentum,
                  dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
    }

    override public func update(_ u: ParameterUpdate) {
        let w = u.value, g = u.gradient, lr = u.learningRate
        guard momentum > 0 else {
            for i in 0..<u.count { w[i] -= lr * g[i] }
            return
        }
        let buffer = u.slots[0], mu = momentum, keep = 1 - dampening
        let first = u.step == 1  // PyTorch starts the buffer at the gradient itself.
        let nesterov = nesterov
        Parallel.forRanges(u.count) { range in
            for i in range {
                let b = first ? g[i] : mu * buffer[i] + keep * g[i]
                buffer[i] = b
                w[i] -= lr * (nesterov ? g[i] + mu * b : b)
            }
        }
    }
}
