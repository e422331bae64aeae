import Foundation

/// Sums, means, maxima and log-sum-exp over axes. A reduction over one axis views the
/// tensor as (outer, axis, inner), which covers every axis without copying.
extension Tensor {
    func splitAround(_ axis: Int) -> (outer: Int, size: Int, inner: Int) {
        let a = normalizedAxis(axis)
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
    }

    private func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
        var s = shape
        if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Sum of every element.
    public func sum() -> Tensor {
        let n = count, x = pointer
        let out = TensorStorage(count: 1, repeating: Float(sumOfElements(x, n)))
        return Tensor.result(shape: [], storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            let v = g[0]
            for i in 0..<n { gx[i] += v }
        }
    }

    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Sum over `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let axis = normalizedAxis(axis)
        let (outer, size, inner) = splitAround(axis)
        let out = TensorStorage(count: outer * inner, repeating: 0)
        let x = pointer, o = out.pointer
        for p in 0..<outer {
            for k in 0..<size {
                let row = x + (p * size + k) * inner, dst = o + p * inner
                for j in 0..<inner { dst[j] += row[j] }
            }
        }
        return Tensor.result(shape: reducedShape(axis, keepDims: keepDims), storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            for p in 0..<outer {
                for k in 0..<size {
                    let row = gx + (p * size + k) * inner, src = g + p * inner
                    for j in 0..<inner { row[j] += src[j] }
                }
            }
        }
    }

    /// Sum over several axes.
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let sorted = Set(axes.map(normalizedAxis)).sorted(by: >)
        var result = self
        for axis in sorted { result = result.sum(axis: axis, keepDims: keepDims) }
        return result
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        sum(axis: axis, keepDims: keepDims) * (1 / Float(dimension(axis)))
    }

    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = Set(axes.map(normalizedAxis)).reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(n))
    }

    /// Maximum over `axis`; the gradient goes to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let axis = normalizedAxis(axis)
        let (outer, size, inner) = splitAround(axis)
        precondition(size > 0, "max over an empty axis")
        let out = TensorStorage(count: outer * inner)
        var argmax = [Int32](repeating: 0, count: outer * inner)
        let x = pointer, o = out.pointer
        for p in 0..<outer {
            for j in 0..<inner {
                var best = x[p * size * inner + j], at: Int32 = 0
                for k in 1..<Swift.max(size, 1) {
                    let v = x[(p * size + k) * inner + j]
                    if v > best || (best.isNaN == false && v.isNaN) { best = v; at = Int32(k) }
                }
                o[p * inner + j] = best
                argmax[p * inner + j] = at
            }
        }
        return Tensor.result(shape: reducedShape(axis, keepDims: keepDims), storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            for p in 0..<outer {
                for j in 0..<inner {
                    gx[(p * size + Int(argmax[p * inner + j])) * inner + j] += g[p * inner + j]
                }
            }
        }
    }

    /// log(sum(exp(x))) over `axis`, shifted by the maximum so it cannot overflow.
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor {
        let axis = normalizedAxis(axis)
        let (outer, size, inner) = splitAround(axis)
        let out = TensorStorage(count: outer * inner)
        let x = pointer, o = out.pointer
        for p in 0..<outer {
            for j in 0..<inner {
                var m = -Float.infinity
                for k in 0..<size { m = Swift.max(m, x[(p * size + k) * inner + j]) }
                if m == -.infinity { o[p * inner + j] = m; continue }
                var s: Float = 0
                for k in 0..<size { s += Foundation.exp(x[(p * size + k) * inner + j] - m) }
                o[p * inner + j] = m + Foundation.log(s)
            }
        }
        return Tensor.result(shape: reducedShape(axis, keepDims: keepDims), storage: out, inputs: [self]) { [self, out] g in
            let o = out.pointer
            guard let gx = self.gradBuffer() else { return }
            for p in 0..<outer {
                for j in 0..<inner {
                    let lse = o[p * inner + j], gv = g[p * inner + j]
                    if lse == -.infinity { continue }
                    for k in 0..<size {
                        let idx = (p * size + k) * inner + j
                        gx[idx] += gv * Foundation.exp(x[idx] - lse)
                    }
                }
            }
        }
    }

    /// Index of the largest value along the last axis, for each row.
    public func argmaxLastAxis() -> [Int] {
        let size = shape.last ?? 1, rows = count / Swift.max(size, 1)
        let x = pointer
        return (0..<rows).map { r in
            var best = x[r * size], at = 0
            for k in 1..<Swift.max(size, 1) where x[r * size + k] > best { best = x[r * size + k]; at = k }
            return at
        }
    }
}

/// The sum of `n` floats: eight-wide partial sums per chunk (vectorized), chunks in
/// parallel, combined in Double.
func sumOfElements(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    let chunk = 1 << 14
    let chunks = (n + chunk - 1) / chunk
    if chunks <= 1 { return chunkSum(x, n) }
    let partials = UnsafeMutablePointer<Double>.allocate(capacity: chunks)
    defer { partials.deallocate() }
    Parallel.forRanges(chunks, threshold: 8) { r in
        for c in r { partials[c] = chunkSum(x + c * chunk, Swift.min(chunk, n - c * chunk)) }
    }
    var total: Double = 0
    for c in 0..<chunks { total += partials[c] }
    return total
}

@inline(__always)
private func chunkSum(_ x: UnsafePointer<Float>, _ n: Int) -> Double {
    var acc = SIMD8<Float>()
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= n {
        acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    var total = Double(acc.sum())
    while i < n { total += Double(x[i]); i += 1 }
    return total
}
