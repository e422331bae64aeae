import LoomTensor

/// RMSProp as `torch.optim.RMSprop`: divides by a running root-mean-square of the
/// gradient, optionally centered (subtracting the running mean) and with momentum.
public final class RMSProp: Optimizer {
    public let alpha: Float
    public let epsilon: Float
    public let momentum: Float
    public let centered: Bool

    public init(parameters: [(String, Parameter)], learningRate: Float = 0.01, alpha: Float = 0.99,
                epsilon: Float = 1e-8, momentum: Float = 0, centered: Bool = false, weightDecay: Float = 0) {
        self.alpha = alpha
        self.epsilon = epsilon
        self.momentum = momentum
        self.centered = centered
        var slots = ["square_avg"]
        if momentum > 0 { slots.append("momentum_buffer") }
        if centered { slots.append("grad_avg") }
        super.init(parameters: parameters, learningRate: learningRate, l2Penalty: weightDecay, slotNames: slots)
    }

    public convenience init(_ module: Module, learningRate: Float = 0.01, alpha: Float = 0.99, epsilon: Float = 1e-8,
                            momentum: Float = 0, centered: Bool = false, weightDecay: Float = 0) {
        self.init(parameters: module.trainableParameters, learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                  momentum: momentum, centered: centered, weightDecay: weightDecay)
    }

    override public func update(_ u: ParameterUpdate) {
        let w = u.value, g = u.gradient, lr = u.learningRate, a = alpha, eps = epsilon, mu = momentum
        let square = u.slots[0]
        let buffer = momentum > 0 ? u.slots[1] : nil
        let mean = centered ? u.slots[u.slots.count - 1] : nil
        for i in 0..<u.count {
            square[i] = a * square[i] + (1 - a) * g[i] * g[i]
            var variance = square[i]
            if let mean {
                mean[i] = a * mean[i] + (1 - a) * g[i]
                variance -= mean[i] * mean[i]
            }
            let scaled = g[i] / (variance.squareRoot() + eps)
            if let buffer {
                buffer[i] = mu * buffer[i] + scaled
                w[i] -= lr * buffer[i]
            } else {
                w[i] -= lr * scaled
            }
        }
    }
}
