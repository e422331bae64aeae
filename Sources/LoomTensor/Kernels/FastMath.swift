import CLoomKernels

/// Vectorized exp, eight lanes at a time, for Swift kernels (SiLU); GELU and tanh run in C
/// (CLoomKernels), where the lanes are AVX2 rather than pairs of SSE registers.
///
/// exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r from a degree-6 polynomial (Cephes' expf
/// coefficients), 2^n put straight into the exponent bits. Relative error about 2e-7 over
/// the float range; inputs are clamped to ±88 so nothing overflows to inf or NaN.
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

/// y = GELU(x) with the tanh approximation, for n floats (AVX2 in CLoomKernels when the CPU has it).
@inline(__always)
func geluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    loom_gelu_forward(x, y, n)
}

/// gx += g · GELU'(x), for n floats; gx = g · GELU'(x) (gx unread) when not accumulating.
@inline(__always)
func geluBackward(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>, _ n: Int,
                  accumulate: Bool = true) {
    loom_gelu_backward(x, g, gx, n, accumulate ? 1 : 0)
}

/// y = tanh(x), for n floats.
@inline(__always)
func tanhForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    loom_tanh_forward(x, y, n)
}
