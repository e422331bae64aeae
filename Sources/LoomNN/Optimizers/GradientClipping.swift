import LoomTensor

/// Scales the gradients of `parameters` to a joint L2 norm of at most `maxNorm`, returning
/// the norm before clipping (accumulated in Double).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters {
        guard let g = p.grad?.pointer else { continue }
        total += sumOfSquares(g, count: p.count)
    }
    let norm = Float(total.squareRoot())
    guard norm.isFinite else { return norm }
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        for p in parameters {
            guard let g = p.grad?.pointer else { continue }
            for i in 0..<p.count { g[i] *= scale }
        }
    }
    return norm
}

/// Σ x² over `count` floats: eight lanes at a time (so the loop vectorizes), split across
/// cores for large buffers, each block's sum carried on in Double.
func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    let blocks = (count + 4095) / 4096
    var partial = [Double](repeating: 0, count: blocks)
    partial.withUnsafeMutableBufferPointer { sums in
        let out = sums.baseAddress!
        Parallel.forRanges(blocks, threshold: 16) { range in
            for block in range {
                let start = block * 4096, end = Swift.min(count, start + 4096)
                var lanes = SIMD8<Float>()
                var i = start
                while i + 8 <= end {
                    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    lanes += v * v
                    i += 8
                }
                var tail: Float = 0
                while i < end { tail += x[i] * x[i]; i += 1 }
                out[block] = Double(lanes.sum() + tail)
            }
        }
    }
    return partial.reduce(0, +)
}
