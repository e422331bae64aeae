import LoomTensor

/// Adagrad as `torch.optim.Adagrad`: each element's step shrinks with the square root of
/// the sum of its squared gradients so far.
public final class Adagrad: Optimizer {
    public let learningRateDecay: Float
    public let epsilon: Float

    public init(parameters: [(String, Parameter)], learningRate: Float = 0.01, learningRateDecay: Float = 0,
                epsilon: Float = 1e-10, weightDecay: Float = 0) {
        self.learningRateDecay = learningRateDecay
        self.epsilon = epsilon
        super.init(parameters: parameters, learningRate: learningRate, l2Penalty: weightDecay, slotNames: ["sum"])
    }

    public convenience init(_ module: Module, learningRate: Float = 0.01, learningRateDecay: Float = 0,
                            epsilon: Float = 1e-10, weightDecay: Float = 0) {
        self.init(parameters: module.trainableParameters, learningRate: learningRate,
                  learningRateDecay: learningRateDecay, epsilon: epsilon, weightDecay: weightDecay)
    }

    override public func update(_ u: ParameterUpdate) {
        let w = u.value, g = u.gradient, sum = u.slots[0], eps = epsilon
        let lr = u.learningRate / (1 + Float(u.step - 1) * learningRateDecay)
        for i in 0..<u.count {
            sum[i] += g[i] * g[i]
            w[i] -= lr * g[i] / (sum[i].squareRoot() + eps)
        }
    }
}
