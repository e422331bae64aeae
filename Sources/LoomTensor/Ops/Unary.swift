import Foundation

/// Elementwise functions. Each derivative is written in terms of the input `x` and the
/// output `y`, whichever is cheaper (tanh and sigmoid reuse `y`).
extension Tensor {
    @inline(__always)
    func unary(_ f: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Tensor {
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        Parallel.forRanges(count) { r in for i in r { o[i] = f(x[i]) } }
        return Tensor.result(shape: shape, storage: out, inputs: [self]) { [self, out] g in
            let o = out.pointer
            guard let gx = self.gradBuffer() else { return }
            Parallel.forRanges(self.count) { r in for i in r { gx[i] += g[i] * derivative(x[i], o[i]) } }
        }
    }

    public func exp() -> Tensor { unary(Foundation.exp, derivative: { _, y in y }) }
    public func log() -> Tensor { unary(Foundation.log, derivative: { x, _ in 1 / x }) }
    public func sqrt() -> Tensor { unary(Foundation.sqrt, derivative: { _, y in 0.5 / y }) }
    public func abs() -> Tensor { unary(Swift.abs, derivative: { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }) }
    public func square() -> Tensor { unary({ $0 * $0 }, derivative: { x, _ in 2 * x }) }
    public func tanh() -> Tensor { unary(Foundation.tanh, derivative: { _, y in 1 - y * y }) }
    public func sigmoid() -> Tensor { unary(stableSigmoid, derivative: { _, y in y * (1 - y) }) }
    public func relu() -> Tensor { unary({ $0 > 0 ? $0 : 0 }, derivative: { x, _ in x > 0 ? 1 : 0 }) }

    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        unary({ $0 > 0 ? $0 : slope * $0 }, derivative: { x, _ in x > 0 ? 1 : slope })
    }

    /// log(1 + e^x), computed without overflow.
    public func softplus() -> Tensor {
        unary({ $0 > 0 ? $0 + Foundation.log1p(Foundation.exp(-$0)) : Foundation.log1p(Foundation.exp($0)) },
              derivative: { x, _ in stableSigmoid(x) })
    }

    /// GELU with the tanh approximation used by GPT-2.
    public func gelu() -> Tensor {
        unary(geluTanh, derivative: { x, _ in geluTanhDerivative(x) })
    }

    /// Elementwise clamp; the gradient passes only where the input lies inside the range.
    public func clamped(min low: Float, max high: Float) -> Tensor {
        unary({ Swift.min(Swift.max($0, low), high) }, derivative: { x, _ in x >= low && x <= high ? 1 : 0 })
    }
}

@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
}

private let geluScale: Float = 0.797_884_560_8  // sqrt(2 / pi)

@inline(__always)
public func geluTanh(_ x: Float) -> Float {
    let inner = geluScale * (x + 0.044715 * x * x * x)
    return 0.5 * x * (1 + Foundation.tanh(inner))
}

@inline(__always)
public func geluTanhDerivative(_ x: Float) -> Float {
    let inner = geluScale * (x + 0.044715 * x * x * x)
    let t = Foundation.tanh(inner)
    let dInner = geluScale * (1 + 3 * 0.044715 * x * x)
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner
}
