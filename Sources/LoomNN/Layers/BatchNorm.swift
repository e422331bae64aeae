import LoomTensor

/// Batch normalization over the channel dimension (dimension 1), as PyTorch's
/// `nn.BatchNorm1d` / `nn.BatchNorm2d`: scale (ones) and shift (zeros) per channel, and the
/// buffers `running_mean` (zeros) and `running_var` (ones). In training the batch's
/// statistics normalize and update the buffers by `momentum`; in evaluation the buffers
/// normalize. Without running statistics, the batch's statistics are used in both modes.
public class BatchNorm: Module {
    public let weight: Parameter?
    public let bias: Parameter?
    public let runningMean: Parameter?
    public let runningVar: Parameter?
    public let eps: Float
    public let momentum: Float

    override public var propertyNames: [String: String] { ["runningMean": "running_mean", "runningVar": "running_var"] }

    public init(_ numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true, trackRunningStats: Bool = true) {
        precondition(numFeatures > 0, "BatchNorm needs at least one feature")
        weight = affine ? Parameter(Tensor(ones: [numFeatures])) : nil
        bias = affine ? Parameter(Tensor(zeros: [numFeatures])) : nil
        runningMean = trackRunningStats ? Parameter(Tensor(zeros: [numFeatures]), kind: .buffer) : nil
        runningVar = trackRunningStats ? Parameter(Tensor(ones: [numFeatures]), kind: .buffer) : nil
        self.eps = eps
        self.momentum = momentum
    }

    public var numFeatures: Int { (weight ?? runningMean)?.count ?? 0 }

    func normalize(_ x: Tensor) -> Tensor {
        let useBatch = isTraining || runningMean == nil
        return x.batchNorm(weight: weight?.tensor, bias: bias?.tensor,
                           runningMean: runningMean?.value, runningVar: runningVar?.value,
                           training: useBatch, momentum: momentum, eps: eps)
    }
}

/// Batch norm for `[N, C]` or `[N, C, L]` inputs.
public final class BatchNorm1d: BatchNorm, Layer {
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 || x.rank == 3, "BatchNorm1d expects [N, C] or [N, C, L], got \(x.shape)")
        return normalize(x)
    }
}

/// Batch norm for `[N, C, H, W]` images.
public final class BatchNorm2d: BatchNorm, Layer {
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "BatchNorm2d expects [N, C, H, W], got \(x.shape)")
        return normalize(x)
    }
}
