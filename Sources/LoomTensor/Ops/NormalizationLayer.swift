import CLoomKernels
import Foundation

/// Layer normalization over the last dimension, fused: forward saves each row's mean and
/// reciprocal standard deviation, backward is written out by hand (as llm.c does). The row
/// passes are C (`CLoomKernels/LayerNorm.c`), where they run in AVX2 lanes.
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
            loom_layer_norm_forward(x + range.lowerBound * size, w, b, range.count, Int32(size), eps,
                                    y + range.lowerBound * size, stats + 2 * range.lowerBound)
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { [self, statistics] g in
            let stats = statistics.pointer
            if let (gx, fresh) = self.gradTarget() {
                Parallel.forRanges(rows, threshold: rowThreshold) { range in
                    let first = range.lowerBound
                    loom_layer_norm_backward(x + first * size, g + first * size, w, stats + 2 * first, range.count,
                                             Int32(size), gx + first * size, fresh ? 0 : 1)
                }
            }
            let gw = weight?.gradBuffer(), gb = bias?.gradBuffer()
            if gw == nil && gb == nil { return }
            // Column sums: each worker owns a slice of the columns and walks every row.
            Parallel.forRanges(size, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(rows, 1))) { columns in
                loom_layer_norm_parameter_gradients(x, g, stats, rows, Int32(size), Int32(columns.lowerBound),
                                                    Int32(columns.count), gw, gb)
            }
        }
    }
}
