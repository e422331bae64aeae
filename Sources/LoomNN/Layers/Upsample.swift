import LoomTensor

/// Nearest-neighbour upsampling of NCHW images, as `nn.Upsample(scale_factor=k, mode="nearest")`.
public final class UpsampleNearest: Module, Layer {
    public let factor: Int
    public init(factor: Int = 2) { self.factor = factor }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.upsampleNearest2d(factor: factor) }
}
