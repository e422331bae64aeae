import CLoomKernels

/// conv2d one image at a time on column panels, with Loom's packed 6×16 kernel instead of
/// BLAS.
///
/// im2col writes each image's columns straight into the 16-column panels the kernel reads
/// (`loom_panels_from_phases`), so they are never packed again, and the product of an image
/// is already NCHW, so no reshuffle follows. Backward uses the same panels as the A of the
/// weight gradient (`loom_gemm_a_panels`), and a packed dY as the B of the column gradient.
/// A thread works through whole images with its own buffers, a few panels at a time, so
/// the panels it writes are still in its L2 cache when the kernel reads them.
///
/// A panel past the end of an image's plane is partly padding, so planes that fill few
/// panels (7×7 is 49 of 64 columns) stay with the batched BLAS path.
enum PanelConvolution {
    /// Tests turn the path off to compare it with the BLAS path.
    nonisolated(unsafe) static var enabled = true

    /// Images whose weight-gradient sums are kept apart and added at the end: a fixed
    /// count, so the sums (and a resumed run) do not depend on the number of cores.
    static let gradientParts = 4

    /// Column floats written per group of panels: with the weights, a group stays in a
    /// core's L2 cache between im2col and the product. Tests lower it to run many groups.
    nonisolated(unsafe) static var groupFloats = 1 << 16

    static func panelsPerGroup(rows: Int) -> Int { Swift.max(1, groupFloats / (rows * 16)) }

    static func applies(_ geometry: ConvolutionGeometry, batch: Int) -> Bool {
        let plane = geometry.outputPlane, padded = (plane + 15) / 16 * 16
        return enabled && PackedProduct.available && !geometry.hasFewTaps
            && batch >= Parallel.coreCount && (padded - plane) * 8 <= plane
    }

    /// The part of `0..<batch` that `part` of `parts` takes: contiguous and as even as possible.
    static func images(part: Int, of parts: Int, batch: Int) -> Range<Int> {
        (part * batch / parts)..<((part + 1) * batch / parts)
    }

    static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        geometry: ConvolutionGeometry, batch: Int, outChannels: Int, into out: UnsafeMutablePointer<Float>) {
        let rows = geometry.columnRows, plane = geometry.outputPlane, count = (plane + 15) / 16
        // 16 floats of room after the phases and the panels (see loom_panels_from_phases).
        let group = panelsPerGroup(rows: rows), phaseFloats = geometry.channels * geometry.phaseFloats + 16
        let perPart = phaseFloats + group * 16 * rows + 16
        let parts = Swift.min(batch, Parallel.coreCount)
        let scratch = TensorStorage(count: parts * perPart)
        withUnsafePointer(to: geometry.kernelGeometry) { kernelGeometry in
            Parallel.forEach(parts) { part in
                let phases = scratch.pointer + part * perPart, panels = phases + phaseFloats
                for n in images(part: part, of: parts, batch: batch) {
                    loom_fill_image_phases(kernelGeometry, x + n * geometry.imageSize, Int32(geometry.channels), phases)
                    let target = out + n * outChannels * plane
                    for first in Swift.stride(from: 0, to: count, by: group) {
                        let end = Swift.min(count, first + group)
                        loom_panels_from_phases(kernelGeometry, phases, Int32(geometry.channels), Int32(first), Int32(end), panels)
                        let columns = Swift.min(plane, end * 16) - first * 16
                        loom_gemm_panels(Int32(outChannels), Int32(columns), Int32(rows), weight, rows, panels, rows * 16, 0,
                                         target + first * 16, plane)
                    }
                    if let bias {
                        for o in 0..<outChannels {
                            let b = bias[o], row = target + o * plane
                            for j in 0..<plane { row[j] += b }
                        }
                    }
                }
            }
        }
    }

    /// Adds the weight gradient into `gw` and the input gradient into `gx`, either may be nil.
    static func backward(_ g: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         geometry: ConvolutionGeometry, batch: Int, outChannels: Int,
                         gw: UnsafeMutablePointer<Float>?, gx: UnsafeMutablePointer<Float>?) {
        let rows = geometry.columnRows, plane = geometry.outputPlane, padded = (plane + 15) / 16 * 16
        let count = padded / 16, group = panelsPerGroup(rows: rows)
        let parts = Swift.min(batch, gradientParts)
        let phasesSize = gw != nil ? geometry.channels * geometry.phaseFloats + 16 : 0
        let panelsSize = gw != nil ? group * 16 * rows + 16 : 0
        let gradientTSize = gw != nil ? (outChannels + 15) / 16 * 16 * plane : 0
        let sumsSize = gw != nil ? rows * outChannels : 0
        let gradientSize = gx != nil ? padded * outChannels : 0
        let gradColumnsSize = gx != nil ? rows * plane : 0
        let perPart = phasesSize + panelsSize + gradientTSize + sumsSize + gradientSize + gradColumnsSize
        let sumsOffset = phasesSize + panelsSize + gradientTSize
        let scratch = TensorStorage(count: parts * perPart)
        // The column gradient's A: Wᵀ, (rows, outChannels).
        let transposed = gx != nil ? TensorStorage(count: rows * outChannels) : nil
        if let transposed {
            for o in 0..<outChannels { for r in 0..<rows { transposed.pointer[r * outChannels + o] = weight[o * rows + r] } }
        }
        withUnsafePointer(to: geometry.kernelGeometry) { kernelGeometry in
            Parallel.forEach(parts) { part in
                let phases = scratch.pointer + part * perPart, panels = phases + phasesSize
                let gradientT = panels + panelsSize, sums = gradientT + gradientTSize
                let packedGradient = sums + sumsSize, gradColumns = packedGradient + gradientSize
                if gw != nil { sums.update(repeating: 0, count: sumsSize) }
                for n in images(part: part, of: parts, batch: batch) {
                    let gy = g + n * outChannels * plane
                    if gw != nil {
                        // dWᵀ (rows, outChannels) += columns (rows, plane) · dYᵀ (plane, outChannels)
                        loom_fill_image_phases(kernelGeometry, x + n * geometry.imageSize, Int32(geometry.channels), phases)
                        loom_pack_rows_transposed(gy, Int32(outChannels), Int32(plane), gradientT)
                        for first in Swift.stride(from: 0, to: count, by: group) {
                            let end = Swift.min(count, first + group)
                            loom_panels_from_phases(kernelGeometry, phases, Int32(geometry.channels), Int32(first), Int32(end),
                                                    panels)
                            let depth = Swift.min(plane, end * 16) - first * 16
                            loom_gemm_a_panels(Int32(rows), Int32(outChannels), Int32(depth), panels, rows * 16,
                                               gradientT + first * 16 * 16, plane * 16, sums, outChannels)
                        }
                    }
                    if let gx, let transposed {
                        // dcolumns (rows, plane) = Wᵀ (rows, outChannels) · dY (outChannels, plane)
                        loom_pack_b(gy, plane, 1, Int32(outChannels), Int32(plane), packedGradient)
                        loom_gemm_panels(Int32(rows), Int32(plane), Int32(outChannels), transposed.pointer, outChannels,
                                         packedGradient, outChannels * 16, 0, gradColumns, plane)
                        loom_col2im_add(kernelGeometry, gradColumns, 1, 0, geometry.channels, gx + n * geometry.imageSize)
                    }
                }
            }
        }
        guard let gw else { return }
        // gw[o, r] += Σ_part sums[part][r, o], the parts in order.
        Parallel.forRanges(outChannels, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(rows * parts, 1))) { range in
            for o in range {
                for r in 0..<rows {
                    var total = gw[o * rows + r]
                    for part in 0..<parts { total += scratch.pointer[part * perPart + sumsOffset + r * outChannels + o] }
                    gw[o * rows + r] = total
                }
            }
        }
    }
}
