/// Whether a smaller or a larger metric is better.
public enum MetricMode: String, Codable {
    case min, max
}

/// Cuts the learning rate by `factor` when a metric has not improved for more than
/// `patience` evaluations (`ReduceLROnPlateau` with relative threshold). After a cut,
/// `cooldown` evaluations pass before bad ones count again. Codable, so it is saved with
/// the trainer state.
public struct ReduceOnPlateau: Codable, Equatable {
    public var mode: MetricMode
    public var factor: Float
    public var patience: Int
    /// Relative improvement needed: in min mode, a new best is below best·(1 - threshold).
    public var threshold: Float
    public var cooldown: Int
    public var minimumLearningRate: Float
    public private(set) var best: Float?
    public private(set) var badEvaluations = 0
    public private(set) var cooldownLeft = 0

    enum CodingKeys: String, CodingKey {
        case mode, factor, patience, threshold, cooldown, minimumLearningRate = "minimum_learning_rate"
        case best, badEvaluations = "bad_evaluations", cooldownLeft = "cooldown_left"
    }

    public init(mode: MetricMode = .min, factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4,
                cooldown: Int = 0, minimumLearningRate: Float = 0) {
        precondition(factor > 0 && factor < 1, "factor must lie in (0, 1)")
        self.mode = mode; self.factor = factor; self.patience = patience; self.threshold = threshold
        self.cooldown = cooldown; self.minimumLearningRate = minimumLearningRate
    }

    func isImprovement(_ metric: Float, over best: Float) -> Bool {
        switch mode {
        case .min: return metric < best * (1 - threshold)
        case .max: return metric > best * (1 + threshold)
        }
    }

    /// Records one evaluation and returns the learning rate to use from now on.
    public mutating func update(metric: Float, learningRate: Float) -> Float {
        if let b = best, !isImprovement(metric, over: b) {
            badEvaluations += 1
        } else {
            best = metric
            badEvaluations = 0
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEvaluations = 0
        }
        guard badEvaluations > patience else { return learningRate }
        cooldownLeft = cooldown
        badEvaluations = 0
        let reduced = Swift.max(learningRate * factor, minimumLearningRate)
        // Changes smaller than this are rounding, as in PyTorch.
        return learningRate - reduced > 1e-8 ? reduced : learningRate
    }
}
