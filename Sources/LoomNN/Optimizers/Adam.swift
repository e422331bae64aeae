import Foundation
import CLoomKernels
import LoomTensor

/// Adam as `torch.optim.Adam` (bias-corrected first and second moments). Its weight decay
/// is the coupled L2 penalty; for decoupled decay use `AdamW`.
public class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float

    public init(parameters: [(String, Parameter)], learningRate: Float = 1e-3, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(parameters: parameters, learningRate: learningRate, l2Penalty: weightDecay,
                   slotNames: ["exp_avg", "exp_avg_sq"])
    }

    public convenience init(_ module: Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.init(parameters: module.trainableParameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay)
    }

    override public func update(_ u: ParameterUpdate) { adamStep(u, shrink: 1) }

    /// One fused loop: optional decoupled shrink of the weights, moment updates, and the
    /// bias-corrected step, in PyTorch's order of operations.
    final func adamStep(_ u: ParameterUpdate, shrink: Float) {
        let w = u.value, g = u.gradient, m = u.slots[0], v = u.slots[1]
        let b1 = beta1, b2 = beta2, eps = epsilon
        let correction1 = 1 - Foundation.pow(Double(b1), Double(u.step))
        let correction2 = 1 - Foundation.pow(Double(b2), Double(u.step))
        let stepSize = Float(Double(u.learningRate) / correction1)
        let rootCorrection2 = Float(correction2.squareRoot())
        Parallel.forRanges(u.count) { range in
            let s = range.lowerBound
            loom_adam_step(range.count, w + s, g + s, m + s, v + s, b1, b2, eps, stepSize, rootCorrection2, shrink)
        }
    }
}

/// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, w ← w·(1 - lr·decay)
/// before the Adam step. By default only tensors of rank 2 or more (matrices, embeddings,
/// convolution kernels) are decayed, not biases or norm gains, as nanoGPT does.
public final class AdamW: Adam {
    public let weightDecay: Float
    /// Per parameter, in `parameters` order: whether it is decayed.
    public let decayed: [Bool]

    public init(parameters: [(String, Parameter)], learningRate: Float = 1e-3, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 1e-2,
                decays: (String, Parameter) -> Bool = { $1.shape.count >= 2 }) {
        self.weightDecay = weightDecay
        decayed = parameters.map { decays($0.0, $0.1) }
        super.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                   epsilon: epsilon, weightDecay: 0)
    }

    public convenience init(_ module: Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                            epsilon: Float = 1e-8, weightDecay: Float = 1e-2,
                            decays: (String, Parameter) -> Bool = { $1.shape.count >= 2 }) {
        self.init(parameters: module.trainableParameters, learningRate: learningRate, beta1: beta1, beta2: beta2,
                  epsilon: epsilon, weightDecay: weightDecay, decays: decays)
    }

    override public func update(_ u: ParameterUpdate) {
        adamStep(u, shrink: decayed[u.index] ? 1 - u.learningRate * weightDecay : 1)
    }
}
