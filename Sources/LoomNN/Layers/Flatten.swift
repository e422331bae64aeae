import LoomTensor

/// Collapses every dimension from `startAxis` on into one, as `nn.Flatten` does:
/// (N, C, H, W) becomes (N, C·H·W) with the default start axis 1.
public final class Flatten: Module, Layer {
    public let startAxis: Int
    public init(startAxis: Int = 1) { self.startAxis = startAxis }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.flattened(from: startAxis) }
}
