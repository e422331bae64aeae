/// Stops training when a validation metric has not improved by more than `minimumDelta`
/// for `patience` evaluations in a row. Codable, so it is saved with the trainer state.
public struct EarlyStopping: Codable, Equatable {
    public var mode: MetricMode
    public var patience: Int
    public var minimumDelta: Float
    public private(set) var best: Float?
    public private(set) var badEvaluations = 0

    enum CodingKeys: String, CodingKey {
        case mode, patience, minimumDelta = "minimum_delta", best, badEvaluations = "bad_evaluations"
    }

    public init(mode: MetricMode = .min, patience: Int, minimumDelta: Float = 0) {
        precondition(patience >= 0 && minimumDelta >= 0, "patience and minimum delta must not be negative")
        self.mode = mode; self.patience = patience; self.minimumDelta = minimumDelta
    }

    /// Whether `patience` evaluations have passed without improvement.
    public var shouldStop: Bool { badEvaluations > 0 && badEvaluations >= patience }

    /// Records one evaluation; returns true when it is a new best (time to save the model).
    @discardableResult
    public mutating func update(metric: Float) -> Bool {
        let improved: Bool
        if let b = best {
            improved = mode == .min ? metric < b - minimumDelta : metric > b + minimumDelta
        } else {
            improved = metric.isFinite
        }
        if improved {
            best = metric
            badEvaluations = 0
        } else {
            badEvaluations += 1
        }
        return improved
    }
}
