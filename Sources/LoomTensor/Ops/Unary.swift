import Foundation

/// Elementwise functions. Each derivative is written in terms of the input `x` and the
/// output `y`, whichever is cheaper (tanh and sigmoid reuse `y`).
extension Tensor {
    func unary<Op: UnaryOperation>(_ op: Op) -> Tensor {
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        Parallel.forRanges(count) { r in for i in r { o[i] = op.apply(x[i]) } }
        return Tensor.result(shape: shape, storage: out, inputs: [self], kind: Op.self) { [self, out] g in
            let o = out.pointer
            guard let (gx, fresh) = self.gradTarget() else { return }
            Parallel.forRanges(self.count) { r in
                if fresh { for i in r { gx[i] = g[i] * op.derivative(x[i], o[i]) } }
                else { for i in r { gx[i] += g[i] * op.derivative(x[i], o[i]) } }
            }
        }
    }

    public func exp() -> Tensor { unary(ExpOperation()) }

    /// A unary op whose forward runs as a vectorized kernel over ranges.
    private func vectorized<Op: UnaryOperation>(
        _ forward: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void, derivative op: Op
    ) -> Tensor {
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        Parallel.forRanges(count) { r in forward(x + r.lowerBound, o + r.lowerBound, r.count) }
        return Tensor.result(shape: shape, storage: out, inputs: [self], kind: Op.self) { [self, out] g in
            let o = out.pointer
            guard let (gx, fresh) = self.gradTarget() else { return }
            Parallel.forRanges(self.count) { r in
                if fresh { for i in r { gx[i] = g[i] * op.derivative(x[i], o[i]) } }
                else { for i in r { gx[i] += g[i] * op.derivative(x[i], o[i]) } }
            }
        }
    }
    public func log() -> Tensor { unary(LogOperation()) }
    public func sqrt() -> Tensor { unary(SqrtOperation()) }
    public func abs() -> Tensor { unary(AbsOperation()) }
    public func square() -> Tensor { unary(SquareOperation()) }
    public func tanh() -> Tensor {
        vectorized(tanhForward, derivative: TanhOperation())
    }
    public func sigmoid() -> Tensor { unary(SigmoidOperation()) }
    public func relu() -> Tensor { unary(LeakyReluOperation(slope: 0)) }
    public func leakyRelu(slope: Float = 0.01) -> Tensor { unary(LeakyReluOperation(slope: slope)) }
    /// log(1 + e^x), computed without overflow.
    public func softplus() -> Tensor { unary(SoftplusOperation()) }
    /// GELU with the tanh approximation used by GPT-2.
    public func gelu() -> Tensor {
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        Parallel.forRanges(count) { r in geluForward(x + r.lowerBound, o + r.lowerBound, r.count) }
        return Tensor.result(shape: shape, storage: out, inputs: [self]) { [self] g in
            guard let (gx, fresh) = self.gradTarget() else { return }
            Parallel.forRanges(self.count) { r in
                geluBackward(x + r.lowerBound, g + r.lowerBound, gx + r.lowerBound, r.count, accumulate: !fresh)
            }
        }
    }
    /// Elementwise clamp; the gradient passes only where the input lies inside the range.
    public func clamped(min low: Float, max high: Float) -> Tensor { unary(ClampOperation(low: low, high: high)) }
}

/// An elementwise function and its derivative, written in terms of the input `x` or the
/// output `y`, whichever is cheaper (tanh and sigmoid reuse `y`). Ops are value types so
/// each kernel is specialized rather than calling a closure per element.
protocol UnaryOperation {
    func apply(_ x: Float) -> Float
    func derivative(_ x: Float, _ y: Float) -> Float
}

struct ExpOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { Foundation.exp(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { y }
}

struct LogOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { Foundation.log(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { 1 / x }
}

struct SqrtOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { x.squareRoot() }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { 0.5 / y }
}

struct AbsOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { Swift.abs(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : (x < 0 ? -1 : 0) }
}

struct SquareOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { x * x }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { 2 * x }
}

struct TanhOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { Foundation.tanh(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { 1 - y * y }
}

struct SigmoidOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { stableSigmoid(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { y * (1 - y) }
}

struct LeakyReluOperation: UnaryOperation {
    let slope: Float
    @inline(__always) func apply(_ x: Float) -> Float { x > 0 ? x : slope * x }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { x > 0 ? 1 : slope }
}

struct SoftplusOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float {
        x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
    }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { stableSigmoid(x) }
}

struct GeluOperation: UnaryOperation {
    @inline(__always) func apply(_ x: Float) -> Float { geluTanh(x) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { geluTanhDerivative(x) }
}

struct ClampOperation: UnaryOperation {
    let low: Float, high: Float
    @inline(__always) func apply(_ x: Float) -> Float { Swift.min(Swift.max(x, low), high) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { x >= low && x <= high ? 1 : 0 }
}

struct PowerOperation: UnaryOperation {
    let exponent: Float
    @inline(__always) func apply(_ x: Float) -> Float { Foundation.pow(x, exponent) }
    @inline(__always) func derivative(_ x: Float, _ y: Float) -> Float { exponent * Foundation.pow(x, exponent - 1) }
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
