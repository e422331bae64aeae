/// Batch normalization of `[N, C]` inputs (BatchNorm1d over features), where a channel's
/// values lie one per row, `C` floats apart. Walking channel by channel would touch one
/// float per cache line; these loops walk the rows instead and keep one accumulator per
/// channel, so every inner loop runs over contiguous channels. Same results as
/// `batchNorm` (sums in Double, biased variance to normalize, unbiased for the running
/// variance).
extension Tensor {
    func batchNormFeatures(
        weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVar: Tensor?,
        training: Bool, momentum: Float, eps: Float
    ) -> Tensor {
        let batch = shape[0], channels = shape[1]
        let out = TensorStorage(count: count)
        let statistics = TensorStorage(count: 2 * channels)  // means, then rstds
        let x = pointer, y = out.pointer, means = statistics.pointer, rstds = statistics.pointer + channels
        let w = weight?.pointer, b = bias?.pointer
        let rm = runningMean?.pointer, rv = runningVar?.pointer
        let threshold = Swift.max(1, Parallel.elementThreshold / Swift.max(batch, 1))
        Parallel.forRanges(channels, threshold: threshold) { range in
            let low = range.lowerBound, width = range.count
            if training {
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: width)
                defer { sums.deallocate() }
                sums.initialize(repeating: 0, count: width)
                for n in 0..<batch {
                    let row = x + n * channels + low
                    for j in 0..<width { sums[j] += Double(row[j]) }
                }
                for j in 0..<width { means[low + j] = Float(sums[j] / Double(batch)) }
                sums.update(repeating: 0, count: width)
                for n in 0..<batch {
                    let row = x + n * channels + low
                    for j in 0..<width { let d = Double(row[j] - means[low + j]); sums[j] += d * d }
                }
                for j in 0..<width {
                    let c = low + j
                    rstds[c] = Float(1 / (sums[j] / Double(batch) + Double(eps)).squareRoot())
                    if let rm, let rv {
                        rm[c] = (1 - momentum) * rm[c] + momentum * means[c]
                        rv[c] = (1 - momentum) * rv[c] + momentum * Float(sums[j] / Double(batch - 1))
                    }
                }
            } else {
                for c in range {
                    means[c] = rm![c]
                    rstds[c] = 1 / (rv![c] + eps).squareRoot()
                }
            }
            // y = x·scale + shift with scale = rstd·γ and shift = β - mean·scale.
            let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: 2 * width)
            defer { coefficients.deallocate() }
            let scales = coefficients, shifts = coefficients + width
            for j in 0..<width {
                let c = low + j
                scales[j] = rstds[c] * (w?[c] ?? 1)
                shifts[j] = (b?[c] ?? 0) - means[c] * scales[j]
            }
            for n in 0..<batch {
                let row = x + n * channels + low, target = y + n * channels + low
                for j in 0..<width { target[j] = row[j] * scales[j] + shifts[j] }
            }
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { [self, statistics] g in
            let means = statistics.pointer, rstds = statistics.pointer + channels
            let gx = self.gradBuffer(), gw = weight?.gradBuffer(), gb = bias?.gradBuffer()
            Parallel.forRanges(channels, threshold: threshold) { range in
                let low = range.lowerBound, width = range.count
                // Σ g and Σ g·(x - mean) per channel.
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * width)
                defer { sums.deallocate() }
                sums.initialize(repeating: 0, count: 2 * width)
                let sumG = sums, sumGX = sums + width
                for n in 0..<batch {
                    let row = x + n * channels + low, gr = g + n * channels + low
                    for j in 0..<width {
                        sumG[j] += Double(gr[j])
                        sumGX[j] += Double(gr[j] * (row[j] - means[low + j]))
                    }
                }
                for j in 0..<width {
                    let c = low + j
                    gw?[c] += Float(sumGX[j]) * rstds[c]
                    gb?[c] += Float(sumG[j])
                }
                guard let gx else { return }
                // dx = γ·rstd·(g - mean(g) - x̂·mean(g·x̂)) in training; γ·rstd·g in evaluation.
                let coefficients = UnsafeMutablePointer<Float>.allocate(capacity: 4 * width)
                defer { coefficients.deallocate() }
                let scales = coefficients, meanGs = coefficients + width
                let slopes = coefficients + 2 * width, centers = coefficients + 3 * width
                for j in 0..<width {
                    let c = low + j, rstd = rstds[c]
                    scales[j] = rstd * (w?[c] ?? 1)
                    meanGs[j] = training ? Float(sumG[j]) / Float(batch) : 0
                    slopes[j] = training ? Float(sumGX[j]) * rstd * rstd / Float(batch) : 0
                    centers[j] = means[c]
                }
                for n in 0..<batch {
                    let row = x + n * channels + low, gr = g + n * channels + low, d = gx + n * channels + low
                    if training {
                        for j in 0..<width {
                            d[j] += scales[j] * (gr[j] - meanGs[j] - (row[j] - centers[j]) * slopes[j])
                        }
                    } else {
                        for j in 0..<width { d[j] += scales[j] * gr[j] }
                    }
                }
            }
        }
    }
}
