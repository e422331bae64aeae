import LoomTensor

/// Layers applied in order; parameters are named by position (`0.weight`, `2.bias`),
/// as in PyTorch's `nn.Sequential`.
public final class Sequential: Module, Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    override public var propertyNames: [String: String] { ["layers": ""] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        layers.reduce(x) { $1($0) }
    }
}

/// A parameter-free layer from a function, for activations and reshapes inside `Sequential`.
public final class Lambda: Module, Layer {
    private let function: (Tensor) -> Tensor
    public init(_ function: @escaping (Tensor) -> Tensor) { self.function = function }
    public func callAsFunction(_ x: Tensor) -> Tensor { function(x) }
}
