/// Broadcasting elementwise arithmetic with exact gradients (each summed back over the
/// dimensions it was broadcast along).

@inline(__always)
private func binaryForward(
    _ a: Tensor, _ b: Tensor, _ plan: BroadcastPlan, _ f: (Float, Float) -> Float
) -> TensorStorage {
    let out = TensorStorage(count: plan.outCount)
    let o = out.pointer, x = a.pointer, y = b.pointer
    if plan.isElementwise {
        Parallel.forRanges(plan.outCount) { r in
            for i in r { o[i] = f(x[i], y[i]) }
        }
    } else {
        plan.forEachRow { oo, oa, ob, n, sa, sb in
            if sb == 0 {
                let v = y[ob]
                if sa == 1 { for j in 0..<n { o[oo + j] = f(x[oa + j], v) } }
                else { for j in 0..<n { o[oo + j] = f(x[oa + j * sa], v) } }
            } else if sa == 0 {
                let u = x[oa]
                if sb == 1 { for j in 0..<n { o[oo + j] = f(u, y[ob + j]) } }
                else { for j in 0..<n { o[oo + j] = f(u, y[ob + j * sb]) } }
            } else {
                for j in 0..<n { o[oo + j] = f(x[oa + j * sa], y[ob + j * sb]) }
            }
        }
    }
    return out
}

/// Adds `d(out)/d(operand) * gradOut` into the operand's gradient buffer, following the
/// broadcast plan; `partial(gradOut, a, b)` gives the contribution of one element.
@inline(__always)
private func binaryBackward(
    _ plan: BroadcastPlan, gradOut g: UnsafeMutablePointer<Float>,
    _ a: Tensor, _ b: Tensor, into target: UnsafeMutablePointer<Float>, targetIsA: Bool,
    _ partial: (Float, Float, Float) -> Float
) {
    let x = a.pointer, y = b.pointer
    if plan.isElementwise {
        Parallel.forRanges(plan.outCount) { r in
            for i in r { target[i] += partial(g[i], x[i], y[i]) }
        }
        return
    }
    plan.forEachRow { oo, oa, ob, n, sa, sb in
        let st = targetIsA ? sa : sb
        let ot = targetIsA ? oa : ob
        if st == 0 {
            var sum: Float = 0
            for j in 0..<n { sum += partial(g[oo + j], x[oa + j * sa], y[ob + j * sb]) }
            target[ot] += sum
        } else {
            for j in 0..<n { target[ot + j * st] += partial(g[oo + j], x[oa + j * sa], y[ob + j * sb]) }
        }
    }
}

@inline(__always)
private func binaryOp(
    _ a: Tensor, _ b: Tensor, _ f: @escaping (Float, Float) -> Float,
    da: @escaping (Float, Float, Float) -> Float, db: @escaping (Float, Float, Float) -> Float
) -> Tensor {
    let plan = BroadcastPlan(a.shape, b.shape)
    let out = binaryForward(a, b, plan, f)
    return Tensor.result(shape: plan.outShape, storage: out, inputs: [a, b]) { g in
        if let ga = a.gradBuffer() { binaryBackward(plan, gradOut: g, a, b, into: ga, targetIsA: true, da) }
        if let gb = b.gradBuffer() { binaryBackward(plan, gradOut: g, a, b, into: gb, targetIsA: false, db) }
    }
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, { $0 + $1 }, da: { g, _, _ in g }, db: { g, _, _ in g })
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, { $0 - $1 }, da: { g, _, _ in g }, db: { g, _, _ in -g })
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, { $0 * $1 }, da: { g, _, y in g * y }, db: { g, x, _ in g * x })
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, { $0 / $1 }, da: { g, _, y in g / y }, db: { g, x, y in -g * x / (y * y) })
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1, shift: 0) }

    /// `scale * self + shift`, elementwise.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        Parallel.forRanges(count) { r in for i in r { o[i] = scale * x[i] + shift } }
        return Tensor.result(shape: shape, storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            Parallel.forRanges(self.count) { r in for i in r { gx[i] += scale * g[i] } }
        }
    }

    /// Elementwise power with a constant exponent.
    public func pow(_ exponent: Float) -> Tensor {
        unary({ Foundation.pow($0, exponent) }, derivative: { x, _ in exponent * Foundation.pow(x, exponent - 1) })
    }
}

import Foundation
