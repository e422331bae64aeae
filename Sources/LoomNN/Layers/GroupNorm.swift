import LoomTensor

/// Group normalization over NCHW (or any `[N, C, *]`) inputs, as PyTorch's `nn.GroupNorm`:
/// channels split into `groups` runs, each normalized per image with its own statistics,
/// then a per-channel scale `weight` (ones) and shift `bias` (zeros). It does not depend on
/// the batch, so training and evaluation agree.
public final class GroupNorm: Module, Layer {
    public let groups: Int
    public let weight: Parameter?
    public let bias: Parameter?
    public let eps: Float

    public init(groups: Int, channels: Int, eps: Float = 1e-5, affine: Bool = true) {
        precondition(groups > 0 && channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        self.groups = groups
        weight = affine ? Parameter(Tensor(ones: [channels])) : nil
        bias = affine ? Parameter(Tensor(zeros: [channels])) : nil
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight?.tensor, bias: bias?.tensor, eps: eps)
    }

    /// silu(self(x)) in one fused op, as U-Net blocks use it.
    public func siluActivated(_ x: Tensor) -> Tensor {
        x.groupNormSiLU(groups: groups, weight: weight?.tensor, bias: bias?.tensor, eps: eps)
    }
}
