import Foundation

/// Softmax and log-softmax over the last axis, and the fused cross-entropy over logits.
extension Tensor {
    /// Softmax over the last axis.
    public func softmax() -> Tensor {
        let size = shape.last ?? 1, rows = count / Swift.max(size, 1)
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        Parallel.forRanges(rows, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(size, 1))) { r in
            for row in r { softmaxRow(x + row * size, o + row * size, size) }
        }
        return Tensor.result(shape: shape, storage: out, inputs: [self]) { [self, out] g in
            let o = out.pointer
            guard let gx = self.gradBuffer() else { return }
            for row in 0..<rows {
                let y = o + row * size, gy = g + row * size, d = gx + row * size
                var dot: Float = 0
                for j in 0..<size { dot += gy[j] * y[j] }
                for j in 0..<size { d[j] += y[j] * (gy[j] - dot) }
            }
        }
    }

    /// log(softmax(x)) over the last axis, computed stably.
    public func logSoftmax() -> Tensor {
        let size = shape.last ?? 1, rows = count / Swift.max(size, 1)
        let out = TensorStorage(count: count)
        let x = pointer, o = out.pointer
        for row in 0..<rows {
            let xr = x + row * size, yr = o + row * size
            var m = -Float.infinity
            for j in 0..<size { m = Swift.max(m, xr[j]) }
            var s: Float = 0
            for j in 0..<size { s += Foundation.exp(xr[j] - m) }
            let lse = m + Foundation.log(s)
            for j in 0..<size { yr[j] = xr[j] - lse }
        }
        return Tensor.result(shape: shape, storage: out, inputs: [self]) { [self, out] g in
            let o = out.pointer
            guard let gx = self.gradBuffer() else { return }
            for row in 0..<rows {
                let y = o + row * size, gy = g + row * size, d = gx + row * size
                var total: Float = 0
                for j in 0..<size { total += gy[j] }
                for j in 0..<size { d[j] += gy[j] - Foundation.exp(y[j]) * total }
            }
        }
    }

    /// Mean cross-entropy of `self` (logits `[..., C]`) against class indices, fused:
    /// one pass computes the loss, and the gradient `(softmax - target) / n` is formed in
    /// backward without materializing softmax as a graph tensor.
    /// Rows whose target equals `ignoreIndex` count neither in the loss nor in the mean.
    /// `labelSmoothing` mixes the one-hot target with the uniform distribution (PyTorch's definition).
    public func crossEntropy(targets: [Int32], ignoreIndex: Int32 = -100, labelSmoothing: Float = 0) -> Tensor {
        let classes = shape.last ?? 1, rows = count / Swift.max(classes, 1)
        precondition(targets.count == rows, "cross-entropy needs \(rows) targets, got \(targets.count)")
        for t in targets where t != ignoreIndex {
            precondition(t >= 0 && Int(t) < classes, "target \(t) out of range 0..<\(classes)")
        }
        let probabilities = TensorStorage(count: count)
        let x = pointer, p = probabilities.pointer
        // Each row's loss from the log-sum-exp that its softmax already computes; rows are
        // split across threads and their losses summed in row order afterwards, so the total
        // does not depend on the split.
        var losses = [Double](repeating: 0, count: rows)
        losses.withUnsafeMutableBufferPointer { losses in
            Parallel.forRanges(rows, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(classes, 1))) { range in
                for row in range {
                    let t = targets[row]
                    let xr = x + row * classes
                    let logSumExp = softmaxRow(xr, p + row * classes, classes)
                    if t == ignoreIndex { continue }
                    var loss = (1 - labelSmoothing) * (logSumExp - xr[Int(t)])
                    if labelSmoothing > 0 {
                        var mean: Float = 0
                        for j in 0..<classes { mean += logSumExp - xr[j] }
                        loss += labelSmoothing * mean / Float(classes)
                    }
                    losses[row] = Double(loss)
                }
            }
        }
        var total: Double = 0
        var counted = 0
        for row in 0..<rows where targets[row] != ignoreIndex {
            total += losses[row]
            counted += 1
        }
        let n = Float(Swift.max(counted, 1))
        let out = TensorStorage(count: 1, repeating: counted == 0 ? Float.nan : Float(total) / n)
        return Tensor.result(shape: [], storage: out, inputs: [self]) { [self, probabilities] g in
            let p = probabilities.pointer
            guard let gx = self.gradBuffer() else { return }
            let scale = g[0] / n
            let smooth = labelSmoothing / Float(classes)
            Parallel.forRanges(rows, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(classes, 1))) { range in
                for row in range where targets[row] != ignoreIndex {
                    let pr = p + row * classes, d = gx + row * classes
                    for j in 0..<classes { d[j] += scale * (pr[j] - smooth) }
                    d[Int(targets[row])] -= scale * (1 - labelSmoothing)
                }
            }
        }
    }
}

/// Softmax of one row of `n` values; returns the row's log-sum-exp.
@inline(__always) @discardableResult
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var m = -Float.infinity
    for j in 0..<n { m = Swift.max(m, x[j]) }
    var s: Float = 0
    for j in 0..<n { let e = Foundation.exp(x[j] - m); y[j] = e; s += e }
    let inv = 1 / s
    for j in 0..<n { y[j] *= inv }
    return m + Foundation.log(s)
}
