/// Broadcasting elementwise arithmetic with exact gradients (each summed back over the
/// dimensions it was broadcast along).

/// An elementwise function of two floats with its partial derivatives. Ops are types, not
/// closures, so every kernel is specialized and its inner loop vectorized.
protocol BinaryOperation {
    static func apply(_ x: Float, _ y: Float) -> Float
    /// d(out)/dx times the incoming gradient g.
    static func gradX(_ g: Float, _ x: Float, _ y: Float) -> Float
    /// d(out)/dy times the incoming gradient g.
    static func gradY(_ g: Float, _ x: Float, _ y: Float) -> Float
    /// Whether d(out)/dx times g is g itself, so x's gradient can be the result's.
    static var passesGradientToX: Bool { get }
}

extension BinaryOperation {
    static var passesGradientToX: Bool { false }
}

private enum AddOperation: BinaryOperation {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x + y }
    @inline(__always) static func gradX(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
    @inline(__always) static func gradY(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
    static var passesGradientToX: Bool { true }
}

private enum SubtractOperation: BinaryOperation {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x - y }
    @inline(__always) static func gradX(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
    @inline(__always) static func gradY(_ g: Float, _ x: Float, _ y: Float) -> Float { -g }
    static var passesGradientToX: Bool { true }
}

private enum MultiplyOperation: BinaryOperation {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x * y }
    @inline(__always) static func gradX(_ g: Float, _ x: Float, _ y: Float) -> Float { g * y }
    @inline(__always) static func gradY(_ g: Float, _ x: Float, _ y: Float) -> Float { g * x }
}

private enum DivideOperation: BinaryOperation {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x / y }
    @inline(__always) static func gradX(_ g: Float, _ x: Float, _ y: Float) -> Float { g / y }
    @inline(__always) static func gradY(_ g: Float, _ x: Float, _ y: Float) -> Float { -g * x / (y * y) }
}

private func binaryForward<Op: BinaryOperation>(
    _ a: Tensor, _ b: Tensor, _ plan: BroadcastPlan, _ op: Op.Type
) -> TensorStorage {
    let out = TensorStorage(count: plan.outCount)
    let o = out.pointer, x = a.pointer, y = b.pointer
    if plan.isElementwise {
        Parallel.forRanges(plan.outCount) { r in
            for i in r { o[i] = Op.apply(x[i], y[i]) }
        }
    } else {
        plan.forEachRow { oo, oa, ob, n, sa, sb in
            if sb == 0 {
                let v = y[ob]
                if sa == 1 { for j in 0..<n { o[oo + j] = Op.apply(x[oa + j], v) } }
                else { for j in 0..<n { o[oo + j] = Op.apply(x[oa + j * sa], v) } }
            } else if sa == 0 {
                let u = x[oa]
                if sb == 1 { for j in 0..<n { o[oo + j] = Op.apply(u, y[ob + j]) } }
                else { for j in 0..<n { o[oo + j] = Op.apply(u, y[ob + j * sb]) } }
            } else {
                for j in 0..<n { o[oo + j] = Op.apply(x[oa + j * sa], y[ob + j * sb]) }
            }
        }
    }
    return out
}

/// Adds `d(out)/d(operand) * gradOut` into the operand's gradient buffer, following the
/// broadcast plan. A fresh buffer (`GradNode.gradTarget()`) of an operand that was not
/// broadcast is overwritten, since each of its elements receives exactly one term.
private func binaryBackward<Op: BinaryOperation>(
    _ plan: BroadcastPlan, gradOut g: UnsafeMutablePointer<Float>,
    _ a: Tensor, _ b: Tensor, into destination: (pointer: UnsafeMutablePointer<Float>, isFresh: Bool),
    targetIsA: Bool, _ op: Op.Type
) {
    @inline(__always) func partial(_ g: Float, _ x: Float, _ y: Float) -> Float {
        targetIsA ? Op.gradX(g, x, y) : Op.gradY(g, x, y)
    }
    let x = a.pointer, y = b.pointer
    let target = destination.pointer, fresh = destination.isFresh
    if plan.isElementwise {
        Parallel.forRanges(plan.outCount) { r in
            if fresh { for i in r { target[i] = partial(g[i], x[i], y[i]) } }
            else { for i in r { target[i] += partial(g[i], x[i], y[i]) } }
        }
        return
    }
    let targetCount = targetIsA ? a.count : b.count
    // Only an operand stepped through along every dimension gets one term per element.
    let overwrite = fresh && (targetIsA ? plan.stridesA : plan.stridesB).allSatisfy { $0 != 0 }
    if fresh && !overwrite { target.update(repeating: 0, count: targetCount) }
    plan.forEachRow { oo, oa, ob, n, sa, sb in
        let st = targetIsA ? sa : sb
        let ot = targetIsA ? oa : ob
        if st == 0 {
            var sum: Float = 0
            for j in 0..<n { sum += partial(g[oo + j], x[oa + j * sa], y[ob + j * sb]) }
            target[ot] += sum
        } else if overwrite {
            for j in 0..<n { target[ot + j * st] = partial(g[oo + j], x[oa + j * sa], y[ob + j * sb]) }
        } else {
            for j in 0..<n { target[ot + j * st] += partial(g[oo + j], x[oa + j * sa], y[ob + j * sb]) }
        }
    }
}

private func binaryOp<Op: BinaryOperation>(_ a: Tensor, _ b: Tensor, _ op: Op.Type) -> Tensor {
    let plan = BroadcastPlan(a.shape, b.shape)
    let out = binaryForward(a, b, plan, op)
    // a may take over the result's gradient buffer (residual sums): not when b is a too.
    let passes = Op.passesGradientToX && a.shape == plan.outShape && a.node !== b.node
    return Tensor.result(shape: plan.outShape, storage: out, inputs: [a, b], kind: op, heir: passes ? a : nil) { g in
        // One operand after the other: for `x + x` the second sees the first's writes.
        if let ga = a.gradTarget(), !(passes && ga.pointer == g) {
            binaryBackward(plan, gradOut: g, a, b, into: ga, targetIsA: true, op)
        }
        if let gb = b.gradTarget() { binaryBackward(plan, gradOut: g, a, b, into: gb, targetIsA: false, op) }
    }
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, AddOperation.self)
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, SubtractOperation.self)
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, MultiplyOperation.self)
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binaryOp(a, b, DivideOperation.self)
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
            guard let (gx, fresh) = self.gradTarget() else { return }
            Parallel.forRanges(self.count) { r in
                if fresh { for i in r { gx[i] = scale * g[i] } } else { for i in r { gx[i] += scale * g[i] } }
            }
        }
    }

    /// Elementwise power with a constant exponent.
    public func pow(_ exponent: Float) -> Tensor { unary(PowerOperation(exponent: exponent)) }
}

import Foundation
