import LoomTensor

/// Runs `microBatches` forward/backward passes, each on `loss(i) / microBatches`, so the
/// accumulated gradients equal those of one batch `microBatches` times larger (for losses
/// that are means). Returns the mean loss. Follow it with one `optimizer.step()` and
/// `optimizer.zeroGrad()`.
@discardableResult
public func accumulateGradients(microBatches: Int, _ loss: (Int) -> Tensor) -> Float {
    precondition(microBatches > 0, "need at least one micro-batch")
    var total: Double = 0
    for i in 0..<microBatches {
        let value = loss(i)
        total += Double(value.item)
        (value * (1 / Float(microBatches))).backward()
    }
    return Float(total / Double(microBatches))
}
