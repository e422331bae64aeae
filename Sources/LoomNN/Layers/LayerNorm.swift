import LoomTensor

/// Layer normalization over the trailing `normalizedShape` dimensions, with a learned
/// per-element scale (ones) and shift (zeros), as PyTorch's `nn.LayerNorm`.
public final class LayerNorm: Module, Layer {
    public let weight: Parameter?
    public let bias: Parameter?
    public let normalizedShape: [Int]
    public let eps: Float

    public init(_ normalizedShape: [Int], eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        precondition(!normalizedShape.isEmpty && normalizedShape.allSatisfy { $0 > 0 }, "LayerNorm needs a non-empty shape")
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Parameter(Tensor(ones: normalizedShape)) : nil
        self.bias = elementwiseAffine && bias ? Parameter(Tensor(zeros: normalizedShape)) : nil
    }

    public convenience init(_ size: Int, eps: Float = 1e-5, elementwiseAffine: Bool = true, bias: Bool = true) {
        self.init([size], eps: eps, elementwiseAffine: elementwiseAffine, bias: bias)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(Array(x.shape.suffix(normalizedShape.count)) == normalizedShape,
                     "LayerNorm over \(normalizedShape) got input \(x.shape)")
        if normalizedShape.count == 1 {
            return x.layerNorm(weight: weight?.tensor, bias: bias?.tensor, eps: eps)
        }
        // Several trailing dimensions normalize as one row.
        let size = normalizedShape.reduce(1, *)
        let rows = x.reshaped(Array(x.shape.dropLast(normalizedShape.count)) + [size])
        let y = rows.layerNorm(weight: weight?.tensor.reshaped([size]), bias: bias?.tensor.reshaped([size]), eps: eps)
        return y.reshaped(x.shape)
    }
}
