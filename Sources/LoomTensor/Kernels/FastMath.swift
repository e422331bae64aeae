/// Vectorized exp and tanh, eight lanes at a time, for the activations that dominate
/// transformer steps (GELU's tanh was the largest single cost of a GPT step when it went
/// through libm one element at a time).
///
/// exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r from a degree-6 polynomial (Cephes' expf
/// coefficients), 2^n put straight into the exponent bits. Relative error about 2e-7 over
/// the float range; inputs are clamped to ±88 so nothing overflows to inf or NaN.
/// tanh: 1 - 2/(e^{2x} + 1), with the odd symmetry applied so large |x| saturates to ±1;
/// absolute error about 2e-7.
typealias FloatLanes = SIMD8<Float>

@inline(__always)
func lanesExp(_ input: FloatLanes) -> FloatLanes {
    // Clamp with selects: the generic pointwise min/max are not inlined.
    let low = FloatLanes(repeating: -87.3), high = FloatLanes(repeating: 88.3)
    var x = input.replacing(with: low, where: input .< low)
    x = x.replacing(with: high, where: x .> high)
    // Round to the nearest integer by adding 1.5·2^23: the sum's low mantissa bits then hold
    // n itself, which also gives the exponent bits of 2^n without a float-to-int conversion
    // (Swift's lane-wise conversions and rounding are not vectorized).
    let shifted = x * 1.442_695_04 + 12_582_912
    let n = shifted - 12_582_912
    var r = x - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    var p = FloatLanes(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    p = p * (r * r) + r + 1
    let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self)
    let exponent = (bits &- 0x4B40_0000 &+ 127) &<< 23
    return p * unsafeBitCast(exponent, to: FloatLanes.self)
}

@inline(__always)
func lanesTanh(_ x: FloatLanes) -> FloatLanes {
    let magnitude = x.replacing(with: -x, where: x .< 0)
    let e = lanesExp(2 * magnitude)
    let t = 1 - 2 / (e + 1)
    return t.replacing(with: -t, where: x .< 0)
}

private let geluScale: Float = 0.797_884_560_8  // sqrt(2 / pi)

/// y = GELU(x) with the tanh approximation, for n floats.
func geluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
    while i + 8 <= n {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
        let t = lanesTanh(geluScale * (v + 0.044715 * v * v * v))
        ry.storeBytes(of: 0.5 * v * (1 + t), toByteOffset: i * 4, as: FloatLanes.self)
        i += 8
    }
    while i < n { y[i] = geluTanh(x[i]); i += 1 }
}

/// gx += g · GELU'(x), for n floats.
func geluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let rx = UnsafeRawPointer(x), rg = UnsafeRawPointer(g), rgx = UnsafeMutableRawPointer(gx)
    while i + 8 <= n {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
        let t = lanesTanh(geluScale * (v + 0.044715 * v * v * v))
        let dInner = geluScale * (1 + 3 * 0.044715 * v * v)
        let derivative = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner
        let old = rgx.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
        let grad = rg.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)
        rgx.storeBytes(of: old + grad * derivative, toByteOffset: i * 4, as: FloatLanes.self)
        i += 8
    }
    while i < n { gx[i] += g[i] * geluTanhDerivative(x[i]); i += 1 }
}

/// y = tanh(x), for n floats.
func tanhForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
    while i + 8 <= n {
        ry.storeBytes(of: lanesTanh(rx.loadUnaligned(fromByteOffset: i * 4, as: FloatLanes.self)), toByteOffset: i * 4, as: FloatLanes.self)
        i += 8
    }
    while i < n {
        var lane = FloatLanes(repeating: 0)
        lane[0] = x[i]
        y[i] = lanesTanh(lane)[0]
        i += 1
    }
}
