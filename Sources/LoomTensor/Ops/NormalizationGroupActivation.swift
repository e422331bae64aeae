import CLoomKernels

/// Group normalization followed by SiLU in one op, `silu(groupNorm(x))`, the pair that
/// opens every residual block of a diffusion U-Net. Fusing saves the normalized tensor's
/// memory and a pass over it: backward recomputes the pre-activation z = x̂·w + b from x
/// and the saved (mean, rstd) of each (image, group) row.
extension Tensor {
    public func groupNormSiLU(groups: Int, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        precondition(rank >= 2, "groupNormSiLU expects [N, C, ...], got \(shape)")
        let batch = shape[0], channels = shape[1], length = shape[2...].reduce(1, *)
        precondition(groups > 0 && channels % groups == 0, "groupNormSiLU: \(channels) channels do not split into \(groups) groups")
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let t { precondition(t.count == channels, "groupNormSiLU \(name) of \(t.count) for \(channels) channels") }
        }
        let perGroup = channels / groups, rowLength = perGroup * length, rows = batch * groups
        let out = TensorStorage(count: count)
        let statistics = TensorStorage(count: 2 * rows)
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
                    GroupActivationKernel.forward(row + k * length, target + k * length, length, scale: scale, shift: shift)
                }
            }
        }
        let inputs = [self] + (weight.map { [$0] } ?? []) + (bias.map { [$0] } ?? [])
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { [self, statistics] g in
            let stats = statistics.pointer
            let gx = self.gradBuffer(), gw = weight?.gradBuffer(), gb = bias?.gradBuffer()
            let channelSums = TensorStorage(count: 2 * batch * channels)
            let sums = channelSums.pointer
            Parallel.forRanges(rows, threshold: threshold) { range in
                // dL/dz for one row at a time.
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: rowLength)
                defer { scratch.deallocate() }
                for r in range {
                    let mean = stats[2 * r], rstd = stats[2 * r + 1]
                    let n = r / groups, firstChannel = (r % groups) * perGroup
                    let row = x + r * rowLength, gradRow = g + r * rowLength
                    var sumD: Float = 0, sumDX: Float = 0
                    for k in 0..<perGroup {
                        let c = firstChannel + k
                        let scale = rstd * (w?[c] ?? 1)
                        let shift = (b?[c] ?? 0) - mean * scale
                        let gz = scratch + k * length
                        GroupActivationKernel.preActivationGradient(row + k * length, gradRow + k * length, gz, length,
                                                                    scale: scale, shift: shift)
                        let (sg, sgx) = RowReduction.gradientSums(gz, row + k * length, length, center: mean)
                        sums[2 * (n * channels + c)] = sg
                        sums[2 * (n * channels + c) + 1] = sgx
                        let wc = w?[c] ?? 1
                        sumD += wc * sg
                        sumDX += wc * sgx
                    }
                    guard let gx else { continue }
                    let meanD = sumD / Float(rowLength)
                    let slope = sumDX * rstd * rstd / Float(rowLength)
                    let target = gx + r * rowLength
                    for k in 0..<perGroup {
                        let c = firstChannel + k
                        let scale = rstd * (w?[c] ?? 1)
                        let offset = rstd * (meanD - mean * slope), xSlope = rstd * slope
                        let source = row + k * length, gz = scratch + k * length, d = target + k * length
                        for j in 0..<length { d[j] += scale * gz[j] - offset - xSlope * source[j] }
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

/// The elementwise halves of groupNormSiLU, in C with AVX2 (`ScaledSiLU.c`).
enum GroupActivationKernel {
    /// y = silu(x·scale + shift) for n floats.
    @inline(__always)
    static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, scale: Float, shift: Float) {
        loom_scaled_silu_forward(x, y, n, scale, shift)
    }

    /// gz = g·silu'(x·scale + shift) for n floats.
    @inline(__always)
    static func preActivationGradient(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ gz: UnsafeMutablePointer<Float>, _ n: Int,
                                      scale: Float, shift: Float) {
        loom_scaled_silu_gradient(x, g, gz, n, scale, shift)
    }
}
