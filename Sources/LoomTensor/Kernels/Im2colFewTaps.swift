import CLoomKernels

/// Convolutions with few taps per output (K = C_in·kH·kW small, like a first layer over grey
/// or RGB images) make a GEMM with a tiny inner dimension, which BLAS runs far below its
/// peak and whose result still needs reshuffling into NCHW order. These loops do the same
/// products directly in NCHW order instead.
extension ConvolutionGeometry {
    /// Up to this many column rows, `conv2d` uses the loops below instead of GEMMs for the
    /// output and the weight gradient. Tests change it to compare both paths.
    nonisolated(unsafe) static var fewTapsLimit = 16

    var hasFewTaps: Bool { columnRows <= ConvolutionGeometry.fewTapsLimit }

    /// `out[n, o, :] = bias[o] + Σ_k weight[o, k] · columns[k, n, :]` for the `images` of a chunk.
    func fewTapsForward(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, columns: UnsafePointer<Float>,
                        images: Int, outChannels: Int, into out: UnsafeMutablePointer<Float>) {
        let rows = columnRows, plane = outputPlane
        Parallel.forRanges(images, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(outChannels * rows * plane, 1))) { range in
            for n in range {
                loom_few_taps_forward(weight, bias, Int32(outChannels), Int32(rows), columns + n * plane, images * plane,
                                      Int32(plane), out + n * outChannels * plane)
            }
        }
    }

    /// `gradWeight[o, k] += Σ_n Σ_p gradOut[n, o, p] · columns[k, n, p]`. Each worker sums a
    /// share of the images into its own partial matrix, so the image's rows stay in cache.
    func fewTapsWeightGradient(gradOut: UnsafePointer<Float>, columns: UnsafePointer<Float>, images: Int, outChannels: Int,
                               into gradWeight: UnsafeMutablePointer<Float>) {
        let rows = columnRows, plane = outputPlane, size = outChannels * rows
        let workers = images * outChannels * rows * plane >= Parallel.elementThreshold ? Swift.min(Parallel.coreCount, images) : 1
        let partials = TensorStorage(count: workers * size, repeating: 0)
        let share = (images + workers - 1) / workers
        Parallel.forEach(workers) { worker in
            let sums = partials.pointer + worker * size
            for n in (worker * share)..<Swift.min(images, (worker + 1) * share) {
                loom_few_taps_weight_gradient(gradOut + n * outChannels * plane, Int32(outChannels), Int32(rows),
                                              columns + n * plane, images * plane, Int32(plane), sums)
            }
        }
        for worker in 0..<workers {
            let sums = partials.pointer + worker * size
            for i in 0..<size { gradWeight[i] += sums[i] }
        }
    }
}
