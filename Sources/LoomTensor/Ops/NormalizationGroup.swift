/// Group normalization over `[N, C, *]` (PyTorch's `group_norm`), fused: one pass per
/// group for the statistics, one for the output, and a hand-written backward.
///
/// The C channels are split into `groups` runs of C/G adjacent channels; each (image, group)
/// is one contiguous row of (C/G)·L floats, normalized with its own mean and biased
/// variance, then scaled and shifted per channel. Rows are spread over the cores.
extension Tensor {
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 2, "groupNorm expects [N, C, ...], got \(shape)")
        let batch = shape[0], channels = shape[1], length = shape[2...].reduce(1, *)
        precondition(groups > 0 && channels % groups == 0, "groupNorm: \(channels) channels do not split into \(groups) groups")
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let t { precondition(t.count == channels, "groupNorm \(name) of \(t.count) for \(channels) channels") }
        }
        let perGroup = channels / groups, rowLength = perGroup * length, rows = batch * groups
        let out = TensorStorage(count: count)
        let statistics = TensorStorage(count: 2 * rows)  // (mean, rstd) per row
        let x = pointer, y = out.pointer, stats = statistics.pointer
        let w = weight?.pointer, b = bias?.pointer
        let threshold = Swift.max(1, Parallel.elementThreshold / Swift.max(rowLength, 1))
        Parallel.forRanges(rows, threshold: threshold) { range in
            for r in range {
                let row = x + r * rowLength, target = y + r * rowLength
                let mean = RowReduction.sum(row, rowLength) / Float(rowLength)
                let variance = RowReduction.squaredDeviations(row, rowLength, center: mean) / Float(rowLength)
                let rstd = 1 / (variance + eps).squareRoot()
                stats[2 * r] = mean
                stats[2 * r + 1] = rstd
                let firstChannel = (r % groups) * perGroup
                for k in 0..<perGroup {
                    let c = firstChannel + k
                    let scale = rstd * (w?[c] ?? 1)
                    let shift = (b?[c] ?? 0) - mean * scale
                    let source = row + k * length, destination = target + k * length
                    for j in 0..<length { destination[j] = source[j] * scale + shift }
                }
            }
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { [self, statistics] g in
            let stats = statistics.pointer
            let gx = self.gradBuffer(), gw = weight?.gradBuffer(), gb = bias?.gradBuffer()
            // Per (image, channel): Σ g and Σ g·(x - mean); the channel sums over images are
            // the weight and bias gradients, added serially after the parallel loop.
            let channelSums = TensorStorage(count: 2 * batch * channels)
            let sums = channelSums.pointer
            Parallel.forRanges(rows, threshold: threshold) { range in
                for r in range {
                    let mean = stats[2 * r], rstd = stats[2 * r + 1]
                    let n = r / groups, firstChannel = (r % groups) * perGroup
                    let row = x + r * rowLength, gradRow = g + r * rowLength
                    var sumD: Float = 0, sumDX: Float = 0
                    for k in 0..<perGroup {
                        let c = firstChannel + k
                        let (sg, sgx) = RowReduction.gradientSums(gradRow + k * length, row + k * length, length, center: mean)
                        sums[2 * (n * channels + c)] = sg
                        sums[2 * (n * channels + c) + 1] = sgx
                        let wc = w?[c] ?? 1
                        sumD += wc * sg
                        sumDX += wc * sgx
                    }
                    guard let gx else { continue }
                    // dx = rstd·(w·g - mean(w·g) - x̂·mean(w·g·x̂))
                    let meanD = sumD / Float(rowLength)
                    let slope = sumDX * rstd * rstd / Float(rowLength)
                    let target = gx + r * rowLength
                    for k in 0..<perGroup {
                        let c = firstChannel + k
                        let scale = rstd * (w?[c] ?? 1)
                        let offset = rstd * (meanD - mean * slope)
                        let source = row + k * length, gradSource = gradRow + k * length, d = target + k * length
                        for j in 0..<length { d[j] += scale * gradSource[j] - offset - rstd * slope * source[j] }
                    }
                }
            }
            if gw == nil && gb == nil { return }
            for n in 0..<batch {
                for c in 0..<channels {
                    let rstd = stats[2 * (n * groups + c / perGroup) + 1]
                    gb?[c] += sums[2 * (n * channels + c)]
                    gw?[c] += sums[2 * (n * channels + c) + 1] * rstd
                }
            }
        }
    }
}
