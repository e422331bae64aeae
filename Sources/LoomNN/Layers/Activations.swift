import LoomTensor

/// Activation functions as layers, for use inside `Sequential`.

public final class ReLU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.relu() }
}

public final class LeakyReLU: Module, Layer {
    public let slope: Float
    public init(slope: Float = 0.01) { self.slope = slope }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.leakyRelu(slope: slope) }
}

/// GELU with the tanh approximation (PyTorch's `nn.GELU(approximate="tanh")`, GPT-2's choice).
public final class GELU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.gelu() }
}

public final class Tanh: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.tanh() }
}

public final class Sigmoid: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.sigmoid() }
}

/// SiLU (swish), x·σ(x), as PyTorch's `nn.SiLU`.
public final class SiLU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.silu() }
}
