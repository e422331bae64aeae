import Foundation

/// A learning rate as a function of the step number (0 for the first step). Set
/// `optimizer.learningRate = schedule.learningRate(at: step)` before each step.
public protocol LearningRateSchedule {
    func learningRate(at step: Int) -> Float
}

/// Multiplies the rate by `gamma` every `stepSize` steps (`StepLR`).
public struct StepDecay: LearningRateSchedule {
    public var initial: Float, stepSize: Int, gamma: Float

    public init(initial: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "step size must be positive")
        self.initial = initial; self.stepSize = stepSize; self.gamma = gamma
    }

    public func learningRate(at step: Int) -> Float {
        Float(Double(initial) * Foundation.pow(Double(gamma), Double(step / stepSize)))
    }
}

/// Multiplies the rate by `gamma` every step (`ExponentialLR`).
public struct ExponentialDecay: LearningRateSchedule {
    public var initial: Float, gamma: Float

    public init(initial: Float, gamma: Float) { self.initial = initial; self.gamma = gamma }

    public func learningRate(at step: Int) -> Float {
        Float(Double(initial) * Foundation.pow(Double(gamma), Double(step)))
    }
}

/// Half a cosine from `initial` at step 0 to `minimum` at `totalSteps`, then flat
/// (`CosineAnnealingLR` without restarts).
public struct CosineDecay: LearningRateSchedule {
    public var initial: Float, minimum: Float, totalSteps: Int

    public init(initial: Float, minimum: Float = 0, totalSteps: Int) {
        precondition(totalSteps > 0, "cosine decay needs a positive step count")
        self.initial = initial; self.minimum = minimum; self.totalSteps = totalSteps
    }

    public func learningRate(at step: Int) -> Float {
        let progress = Double(Swift.min(Swift.max(step, 0), totalSteps)) / Double(totalSteps)
        return cosineBetween(initial, minimum, progress: progress)
    }
}

/// nanoGPT's `get_lr`: linear warmup to `maximum` over `warmupSteps` steps, cosine decay
/// to `minimum` at `decaySteps`, then `minimum`.
public struct WarmupCosine: LearningRateSchedule {
    public var maximum: Float, minimum: Float, warmupSteps: Int, decaySteps: Int

    public init(maximum: Float, minimum: Float, warmupSteps: Int, decaySteps: Int) {
        precondition(warmupSteps >= 0 && decaySteps > warmupSteps, "need 0 <= warmup steps < decay steps")
        self.maximum = maximum; self.minimum = minimum; self.warmupSteps = warmupSteps; self.decaySteps = decaySteps
    }

    public func learningRate(at step: Int) -> Float {
        // (step + 1) / (warmup + 1): the first step already moves, and warmup ends just below the peak.
        if step < warmupSteps { return Float(Double(maximum) * Double(step + 1) / Double(warmupSteps + 1)) }
        if step > decaySteps { return minimum }
        let progress = Double(step - warmupSteps) / Double(decaySteps - warmupSteps)
        return cosineBetween(maximum, minimum, progress: progress)
    }
}

/// `minimum + (start - minimum)·(1 + cos(π·progress))/2`, in Double.
func cosineBetween(_ start: Float, _ minimum: Float, progress: Double) -> Float {
    let coefficient = 0.5 * (1 + Foundation.cos(Double.pi * progress))
    return Float(Double(minimum) + coefficient * (Double(start) - Double(minimum)))
}
