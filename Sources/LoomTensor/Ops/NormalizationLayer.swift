import Foundation

/// Layer normalization over the last dimension, fused: forward saves each row's mean and
/// reciprocal standard deviation, backward is written out by hand (as llm.c does).
extension Tensor {
    /// `(x - mean) / sqrt(var + eps) * weight + bias` over the last dimension, with the
    /// biased variance, as PyTorch's `layer_norm`. `weight` and `bias` are `[D]` or nil.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 1 && shape[rank - 1] > 0, "layerNorm needs a non-empty last dimension, got \(shape)")
        let size = shape[rank - 1], rows = count / size
        if let weight { precondition(weight.count == size, "layerNorm weight of \(weight.count) for rows of \(size)") }
        if let bias { precondition(bias.count == size, "layerNorm bias of \(bias.count) for rows of \(size)") }
        let out = TensorStorage(count: count)
        let statistics = TensorStorage(count: 2 * rows)  // (mean, rstd) per row
        let x = pointer, y = out.pointer, stats = statistics.pointer
        let w = weight?.pointer, b = bias?.pointer
        let rowThreshold = Swift.max(1, Parallel.elementThreshold / size)
        Parallel.forRanges(rows, threshold: rowThreshold) { range in
            for r in range {
                let xr = x + r * size, yr = y + r * size
                let mean = RowReduction.sum(xr, size) / Float(size)
                let squares = RowReduction.squaredDeviations(xr, size, center: mean)
                let rstd = 1 / (squares / Float(size) + eps).squareRoot()
                stats[2 * r] = mean
                stats[2 * r + 1] = rstd
                switch (w, b) {
                case let (w?, b?): for j in 0..<size { yr[j] = (xr[j] - mean) * rstd * w[j] + b[j] }
                case let (w?, nil): for j in 0..<size { yr[j] = (xr[j] - mean) * rstd * w[j] }
                case let (nil, b?): for j in 0..<size { yr[j] = (xr[j] - mean) * rstd + b[j] }
                case (nil, nil): for j in 0..<size { yr[j] = (xr[j] - mean) * rstd }
                }
            }
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { [self, statistics] g in
            let stats = statistics.pointer
            if let (gx, fresh) = self.gradTarget() {
                Parallel.forRanges(rows, threshold: rowThreshold) { range in
                    for r in range {
                        let xr = x + r * size, gr = g + r * size, dr = gx + r * size
                        let mean = stats[2 * r], rstd = stats[2 * r + 1]
                        // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * w.
                        let (sumD, sumDX) = w.map { RowReduction.scaledGradientSums(gr, $0, xr, size, center: mean) }
                            ?? RowReduction.gradientSums(gr, xr, size, center: mean)
                        let meanD = sumD / Float(size), meanDX = sumDX * rstd / Float(size)
                        switch (w, fresh) {
                        case let (w?, true):
                            for j in 0..<size { dr[j] = rstd * (gr[j] * w[j] - meanD - (xr[j] - mean) * rstd * meanDX) }
                        case let (w?, false):
                            for j in 0..<size { dr[j] += rstd * (gr[j] * w[j] - meanD - (xr[j] - mean) * rstd * meanDX) }
                        case (nil, true):
                            for j in 0..<size { dr[j] = rstd * (gr[j] - meanD - (xr[j] - mean) * rstd * meanDX) }
                        case (nil, false):
                            for j in 0..<size { dr[j] += rstd * (gr[j] - meanD - (xr[j] - mean) * rstd * meanDX) }
                        }
                    }
                }
            }
            let gw = weight?.gradBuffer(), gb = bias?.gradBuffer()
            if gw == nil && gb == nil { return }
            // Column sums: each worker owns a slice of the columns and walks every row.
            Parallel.forRanges(size, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(rows, 1))) { columns in
                for r in 0..<rows {
                    let xr = x + r * size, gr = g + r * size
                    let mean = stats[2 * r], rstd = stats[2 * r + 1]
                    if let gw { for j in columns { gw[j] += gr[j] * (xr[j] - mean) * rstd } }
                    if let gb { for j in columns { gb[j] += gr[j] } }
                }
            }
        }
    }
}
