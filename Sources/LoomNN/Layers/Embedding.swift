import LoomTensor

/// A lookup table of `count` vectors of `dimension` floats, initialized N(0, 1) as
/// PyTorch's `nn.Embedding` is. The backward pass scatter-adds into the looked-up rows.
public final class Embedding: Module {
    public let weight: Parameter  // (count, dimension)

    public init(_ count: Int, _ dimension: Int, using rng: inout RandomGenerator) {
        weight = Parameter(.randomNormal([count, dimension], using: &rng))
    }

    public var count: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    /// The vectors of `ids`; `shape` is the shape of the ids (default: a flat list), and
    /// the result is `shape + [dimension]`, e.g. ids (B, T) give (B, T, C).
    public func callAsFunction(_ ids: [Int32], shape: [Int]? = nil) -> Tensor {
        precondition(shape.map { $0.reduce(1, *) == ids.count } ?? true, "id shape \(shape!) does not hold \(ids.count) ids")
        return weight.tensor.indexSelect(rows: ids, indexShape: shape)
    }
}
