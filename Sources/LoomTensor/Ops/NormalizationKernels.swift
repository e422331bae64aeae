/// Row reductions for the normalization ops and convolution bias gradients.
///
/// The compiler does not reorder a floating-point sum, so a plain loop adds one element at
/// a time; these keep eight partial sums in a SIMD register instead, which is both faster
/// and closer to the exact sum.
enum RowReduction {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
    }

    /// Σ x[j].
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= n { acc += load(x, i); i += 8 }
        var total = acc.sum()
        while i < n { total += x[i]; i += 1 }
        return total
    }

    /// Σ (x[j] - center)².
    @inline(__always)
    static func squaredDeviations(_ x: UnsafePointer<Float>, _ n: Int, center: Float) -> Float {
        var acc = SIMD8<Float>()
        let c = SIMD8<Float>(repeating: center)
        var i = 0
        while i + 8 <= n { let d = load(x, i) - c; acc += d * d; i += 8 }
        var total = acc.sum()
        while i < n { let d = x[i] - center; total += d * d; i += 1 }
        return total
    }

    /// (Σ g[j], Σ g[j]·(x[j] - center)): the two sums every normalization backward needs.
    @inline(__always)
    static func gradientSums(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, center: Float) -> (Float, Float) {
        var sumG = SIMD8<Float>(), sumGX = SIMD8<Float>()
        let c = SIMD8<Float>(repeating: center)
        var i = 0
        while i + 8 <= n {
            let gv = load(g, i)
            sumG += gv
            sumGX += gv * (load(x, i) - c)
            i += 8
        }
        var totalG = sumG.sum(), totalGX = sumGX.sum()
        while i < n { totalG += g[i]; totalGX += g[i] * (x[i] - center); i += 1 }
        return (totalG, totalGX)
    }

    /// (Σ g[j]·w[j], Σ g[j]·w[j]·(x[j] - center)): layer norm's backward with a scale.
    @inline(__always)
    static func scaledGradientSums(_ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int,
                                   center: Float) -> (Float, Float) {
        var sumD = SIMD8<Float>(), sumDX = SIMD8<Float>()
        let c = SIMD8<Float>(repeating: center)
        var i = 0
        while i + 8 <= n {
            let d = load(g, i) * load(w, i)
            sumD += d
            sumDX += d * (load(x, i) - c)
            i += 8
        }
        var totalD = sumD.sum(), totalDX = sumDX.sum()
        while i < n { let d = g[i] * w[i]; totalD += d; totalDX += d * (x[i] - center); i += 1 }
        return (totalD, totalDX)
    }
}
