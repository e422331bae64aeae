import Foundation

/// Row kernels of causal multi-head attention, written out by hand as llm.c does.
///
/// Threading: the callers split work over (batch, head) pairs with `Parallel.forEach`, and
/// these kernels never call BLAS, so OpenBLAS's own threads are never entered from several
/// threads at once. A (batch, head) pair owns a disjoint slice of every output and gradient
/// buffer (its own rows and its own head's columns), so the workers need no locks.
public enum AttentionKernels {
    // Loads and dot products are the normalization kernels' (RowReduction).
    @inline(__always)
    static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
    }

    /// y[i] += alpha·x[i] over n floats.
    @inline(__always)
    static func addScaled(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = SIMD8<Float>(repeating: alpha)
        var i = 0
        while i + 8 <= n { store(RowReduction.load(UnsafePointer(y), i) + a * RowReduction.load(x, i), y, i); i += 8 }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// One query attending to keys 0..<count: writes the softmax probabilities into
    /// `probabilities[0..<count]` and their weighted sum of values into `output[0..<headSize]`.
    /// `keys` and `values` advance by `stride` floats per position. With a dropout `mask`
    /// (kept elements hold 1/(1-p), dropped ones 0), the sum uses the masked probabilities.
    @inline(__always)
    public static func attendRow(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
        count: Int, headSize: Int, scale: Float,
        probabilities: UnsafeMutablePointer<Float>, mask: UnsafePointer<Float>? = nil,
        output: UnsafeMutablePointer<Float>
    ) {
        var maximum = -Float.infinity
        for j in 0..<count {
            let s = scale * RowReduction.dot(query, keys + j * stride, headSize)
            probabilities[j] = s
            maximum = Swift.max(maximum, s)
        }
        var total: Float = 0
        for j in 0..<count {
            let e = Foundation.exp(probabilities[j] - maximum)
            probabilities[j] = e
            total += e
        }
        let inverse = 1 / total
        output.update(repeating: 0, count: headSize)
        for j in 0..<count {
            let p = probabilities[j] * inverse
            probabilities[j] = p
            let weight = mask.map { p * $0[j] } ?? p
            addScaled(weight, values + j * stride, output, headSize)
        }
    }

    /// The backward pass of `attendRow` for one query: adds into the query's, keys' and
    /// values' gradients. `scratch` holds `count` floats.
    @inline(__always)
    public static func attendRowBackward(
        outputGradient: UnsafePointer<Float>, query: UnsafePointer<Float>, keys: UnsafePointer<Float>,
        values: UnsafePointer<Float>, stride: Int, count: Int, headSize: Int, scale: Float,
        probabilities: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
        queryGradient: UnsafeMutablePointer<Float>, keyGradients: UnsafeMutablePointer<Float>,
        valueGradients: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    ) {
        // Through the weighted sum: d(prob_j) = dout·v_j (times the mask), dv_j += prob_j·dout.
        var weightedTotal: Float = 0
        for j in 0..<count {
            let keep = mask?[j] ?? 1
            let dp = RowReduction.dot(outputGradient, values + j * stride, headSize) * keep
            scratch[j] = dp
            weightedTotal += probabilities[j] * dp
            addScaled(probabilities[j] * keep, outputGradient, valueGradients + j * stride, headSize)
        }
        // Through softmax: d(score_j) = prob_j·(d(prob_j) - Σ prob·d(prob)); then through q·kᵀ.
        for j in 0..<count {
            let dScore = scale * probabilities[j] * (scratch[j] - weightedTotal)
            if dScore == 0 { continue }
            addScaled(dScore, keys + j * stride, queryGradient, headSize)
            addScaled(dScore, query, keyGradients + j * stride, headSize)
        }
    }
}
