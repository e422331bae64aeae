/// Batch normalization over `[N, C]` or `[N, C, *]` (PyTorch's `batch_norm`), fused: one
/// pass per channel for the statistics, one for the output, and a hand-written backward.
///
/// A channel's elements are the `N` rows of `L` contiguous floats at `x[n, c, :]`
/// (L = 1 for `[N, C]`); channels are spread over the cores.
extension Tensor {
    /// Training uses the batch's statistics (biased variance to normalize) and, when running
    /// tensors are given, updates them in place:
    /// `running = (1 - momentum) * running + momentum * batch`, with the unbiased variance.
    /// Evaluation normalizes with the running statistics.
    public func batchNorm(
        weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
        training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
    ) -> Tensor {
        precondition(rank >= 2, "batchNorm expects [N, C, ...], got \(shape)")
        let batch = shape[0], channels = shape[1], length = shape[2...].reduce(1, *)
        let perChannel = batch * length
        for (name, t) in [("weight", weight), ("bias", bias), ("running mean", runningMean), ("running var", runningVar)] {
            if let t { precondition(t.count == channels, "batchNorm \(name) of \(t.count) for \(channels) channels") }
        }
        precondition(training || (runningMean != nil && runningVar != nil), "batchNorm in evaluation needs running statistics")
        precondition(!training || perChannel > 1, "batchNorm in training needs more than one value per channel, got \(shape)")
        if length == 1 {
            return batchNormFeatures(weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                                     training: training, momentum: momentum, eps: eps)
        }
        let out = TensorStorage(count: count)
        let statistics = TensorStorage(count: 2 * channels)  // (mean, rstd) per channel
        let x = pointer, y = out.pointer, stats = statistics.pointer
        let w = weight?.pointer, b = bias?.pointer
        let rm = runningMean?.pointer, rv = runningVar?.pointer
        let stride = channels * length
        let threshold = Swift.max(1, Parallel.elementThreshold / Swift.max(perChannel, 1))
        Parallel.forRanges(channels, threshold: threshold) { range in
            for c in range {
                let first = x + c * length
                var mean: Float, rstd: Float
                if training {
                    var total: Double = 0
                    for n in 0..<batch { total += Double(RowReduction.sum(first + n * stride, length)) }
                    mean = Float(total / Double(perChannel))
                    var squares: Double = 0
                    for n in 0..<batch {
                        squares += Double(RowReduction.squaredDeviations(first + n * stride, length, center: mean))
                    }
                    let variance = squares / Double(perChannel)
                    rstd = Float(1 / (variance + Double(eps)).squareRoot())
                    if let rm, let rv {
                        rm[c] = (1 - momentum) * rm[c] + momentum * mean
                        let unbiased = Float(squares / Double(perChannel - 1))
                        rv[c] = (1 - momentum) * rv[c] + momentum * unbiased
                    }
                } else {
                    mean = rm![c]
                    rstd = 1 / (rv![c] + eps).squareRoot()
                }
                stats[2 * c] = mean
                stats[2 * c + 1] = rstd
                let scale = rstd * (w?[c] ?? 1)
                let shift = (b?[c] ?? 0) - mean * scale
                for n in 0..<batch {
                    let row = first + n * stride, target = y + c * length + n * stride
                    for j in 0..<length { target[j] = row[j] * scale + shift }
                }
            }
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { [self, statistics] g in
            let stats = statistics.pointer
            let gx = self.gradBuffer(), gw = weight?.gradBuffer(), gb = bias?.gradBuffer()
            Parallel.forRanges(channels, threshold: threshold) { range in
                for c in range {
                    let mean = stats[2 * c], rstd = stats[2 * c + 1]
                    let first = x + c * length, gradFirst = g + c * length
                    // Σ g and Σ g·(x - mean), from which dγ, dβ and the batch-statistics terms follow.
                    var sumG: Double = 0, sumGX: Double = 0
                    for n in 0..<batch {
                        let (pg, pgx) = RowReduction.gradientSums(gradFirst + n * stride, first + n * stride, length, center: mean)
                        sumG += Double(pg)
                        sumGX += Double(pgx)
                    }
                    let sumGXhat = Float(sumGX) * rstd
                    gw?[c] += sumGXhat
                    gb?[c] += Float(sumG)
                    guard let gx else { continue }
                    let scale = rstd * (w?[c] ?? 1)
                    let target = gx + c * length
                    if training {
                        // dx = γ·rstd·(g - mean(g) - x̂·mean(g·x̂))
                        let meanG = Float(sumG) / Float(perChannel)
                        let slope = sumGXhat * rstd / Float(perChannel)
                        for n in 0..<batch {
                            let row = first + n * stride, gr = gradFirst + n * stride, d = target + n * stride
                            for j in 0..<length { d[j] += scale * (gr[j] - meanG - (row[j] - mean) * slope) }
                        }
                    } else {
                        for n in 0..<batch {
                            let gr = gradFirst + n * stride, d = target + n * stride
                            for j in 0..<length { d[j] += scale * gr[j] }
                        }
                    }
                }
            }
        }
    }
}
