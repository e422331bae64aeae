import CLoomKernels

/// conv2d on column panels, with Loom's packed 6×16 kernel instead of BLAS.
///
/// im2col writes the columns straight into the 16-column panels the kernel reads
/// (`loom_panels_from_phases`), so they are never packed again. Backward uses the same
/// panels as the A of the weight gradient (`loom_gemm_a_panels`), and a packed dY as the B
/// of the column gradient. Each thread works through its own images with its own buffers,
/// a few panels at a time, so the panels it writes are still in its L2 cache when the
/// kernel reads them.
///
/// A block of images shares one set of panels. When an image's positions fill whole panels
/// but for a little padding, a block is one image and its product is already NCHW. Small
/// planes (7×7 is 49 of 64 columns) would be a third padding, so a block is then all the
/// images of a thread, side by side like the BLAS path's columns, and the product is
/// reshuffled into NCHW afterwards.
enum PanelConvolution {
    /// Tests turn the path off to compare it with the BLAS path.
    nonisolated(unsafe) static var enabled = true

    /// Images whose weight-gradient sums are kept apart and added at the end: a fixed
    /// count, so the sums (and a resumed run) do not depend on the number of cores. Several
    /// parts per core let a core that runs ahead take over more of them.
    static let gradientParts = 8

    /// Parts of a forward pass: a few per core, for the same reason.
    static var forwardParts: Int { 4 * Parallel.coreCount }

    /// Column floats written per group of panels: with the weights, a group stays in a
    /// core's L2 cache between im2col and the product. Tests lower it to run many groups.
    nonisolated(unsafe) static var groupFloats = 1 << 16

    static func applies(_ geometry: ConvolutionGeometry, batch: Int) -> Bool {
        enabled && PackedProduct.available && !geometry.hasFewTaps && batch >= Parallel.coreCount
    }

    /// Whether a block is one image: its positions waste at most an eighth of their panels.
    static func imageBlocks(_ geometry: ConvolutionGeometry) -> Bool {
        let plane = geometry.outputPlane
        return ((plane + 15) / 16 * 16 - plane) * 8 <= plane
    }

    /// The images of `part` of `parts`: contiguous, and as even as possible.
    static func images(part: Int, of parts: Int, batch: Int) -> Range<Int> {
        (part * batch / parts)..<((part + 1) * batch / parts)
    }

    /// The blocks of `images`: one image each, or all of them at once.
    static func blocks(_ images: Range<Int>, single: Bool) -> [Range<Int>] {
        single ? images.map { $0..<($0 + 1) } : [images]
    }

    /// Runs `body(first, end)` over the panels of `positions` columns, a group at a time.
    static func forGroups(positions: Int, rows: Int, _ body: (Int, Int) -> Void) {
        let count = (positions + 15) / 16, group = Swift.max(1, groupFloats / (rows * 16))
        for first in Swift.stride(from: 0, to: count, by: group) { body(first, Swift.min(count, first + group)) }
    }

    static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        geometry g: ConvolutionGeometry, batch: Int, outChannels: Int, into out: UnsafeMutablePointer<Float>) {
        let rows = g.columnRows, plane = g.outputPlane, single = imageBlocks(g)
        let parts = Swift.min(batch, forwardParts), most = single ? 1 : (batch + parts - 1) / parts
        // 16 floats of room after the phases and the panels (see loom_panels_from_phases).
        let phasesSize = most * g.channels * g.phaseFloats + 16
        let panelsSize = Swift.max(1, groupFloats / (rows * 16)) * 16 * rows + 16
        let productSize = single ? 0 : outChannels * most * plane
        let perPart = phasesSize + panelsSize + productSize
        let scratch = TensorStorage(count: parts * perPart)
        withUnsafePointer(to: g.kernelGeometry) { kernelGeometry in
            Parallel.forEach(parts) { part in
                let phases = scratch.pointer + part * perPart, panels = phases + phasesSize, product = panels + panelsSize
                for block in blocks(images(part: part, of: parts, batch: batch), single: single) {
                    let count = block.count, positions = count * plane
                    loom_fill_image_phases(kernelGeometry, x + block.lowerBound * g.imageSize, Int32(count * g.channels), phases)
                    let target = out + block.lowerBound * outChannels * plane
                    let (c, ldc) = single ? (target, plane) : (product, positions)
                    forGroups(positions: positions, rows: rows) { first, end in
                        loom_panels_from_phases(kernelGeometry, phases, Int32(g.channels), Int32(count), Int32(first), Int32(end), panels)
                        let columns = Swift.min(positions, end * 16) - first * 16
                        loom_gemm_panels(Int32(outChannels), Int32(columns), Int32(rows), weight, rows, panels, rows * 16, 0,
                                         c + first * 16, ldc)
                    }
                    if !single {
                        BlockTranspose.copy(product, outer: outChannels, inner: count, block: plane, into: target, rowBias: bias)
                    } else if let bias {
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
    static func backward(_ grad: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         geometry g: ConvolutionGeometry, batch: Int, outChannels: Int,
                         gw: UnsafeMutablePointer<Float>?, gx: UnsafeMutablePointer<Float>?) {
        let rows = g.columnRows, plane = g.outputPlane, single = imageBlocks(g)
        let parts = Swift.min(batch, gradientParts), most = single ? 1 : (batch + parts - 1) / parts
        let padded = (most * plane + 15) / 16 * 16, panelGroup = Swift.max(1, groupFloats / (rows * 16))
        let phasesSize = gw != nil ? most * g.channels * g.phaseFloats + 16 : 0
        let panelsSize = gw != nil ? panelGroup * 16 * rows + 16 : 0
        let gradientTSize = gw != nil ? (outChannels + 15) / 16 * 16 * most * plane : 0
        let sumsSize = gw != nil ? rows * outChannels : 0
        let gradientRowsSize = gx != nil && !single ? outChannels * most * plane : 0
        let gradientSize = gx != nil ? padded * outChannels : 0
        let gradColumnsSize = gx != nil ? rows * most * plane : 0
        let sumsOffset = phasesSize + panelsSize + gradientTSize
        let perPart = sumsOffset + sumsSize + gradientRowsSize + gradientSize + gradColumnsSize
        let scratch = TensorStorage(count: parts * perPart)
        // The column gradient's A: Wᵀ, (rows, outChannels).
        let transposed = gx != nil ? TensorStorage(count: rows * outChannels) : nil
        if let transposed {
            for o in 0..<outChannels { for r in 0..<rows { transposed.pointer[r * outChannels + o] = weight[o * rows + r] } }
        }
        withUnsafePointer(to: g.kernelGeometry) { kernelGeometry in
            Parallel.forEach(parts) { part in
                let phases = scratch.pointer + part * perPart, panels = phases + phasesSize
                let gradientT = panels + panelsSize, sums = gradientT + gradientTSize
                let gradientRows = sums + sumsSize, packedGradient = gradientRows + gradientRowsSize
                let gradColumns = packedGradient + gradientSize
                if gw != nil { sums.update(repeating: 0, count: sumsSize) }
                for block in blocks(images(part: part, of: parts, batch: batch), single: single) {
                    let count = block.count, positions = count * plane
                    let gy = grad + block.lowerBound * outChannels * plane
                    if gw != nil {
                        // dWᵀ (rows, outChannels) += columns (rows, positions) · dYᵀ (positions, outChannels)
                        loom_fill_image_phases(kernelGeometry, x + block.lowerBound * g.imageSize, Int32(count * g.channels), phases)
                        for i in 0..<count {
                            loom_pack_rows_transposed(gy + i * outChannels * plane, Int32(outChannels), Int32(plane), plane,
                                                      gradientT + i * plane * 16, positions * 16)
                        }
                        forGroups(positions: positions, rows: rows) { first, end in
                            loom_panels_from_phases(kernelGeometry, phases, Int32(g.channels), Int32(count), Int32(first),
                                                    Int32(end), panels)
                            let depth = Swift.min(positions, end * 16) - first * 16
                            loom_gemm_a_panels(Int32(rows), Int32(outChannels), Int32(depth), panels, rows * 16,
                                               gradientT + first * 16 * 16, positions * 16, sums, outChannels)
                        }
                    }
                    if let gx, let transposed {
                        // dcolumns (rows, positions) = Wᵀ (rows, outChannels) · dY (outChannels, positions)
                        var source = gy
                        if !single {
                            BlockTranspose.copy(gy, outer: count, inner: outChannels, block: plane, into: gradientRows)
                            source = UnsafePointer(gradientRows)
                        }
                        loom_pack_b(source, positions, 1, Int32(outChannels), Int32(positions), packedGradient)
                        loom_gemm_panels(Int32(rows), Int32(positions), Int32(outChannels), transposed.pointer, outChannels,
                                         packedGradient, outChannels * 16, 0, gradColumns, positions)
                        loom_col2im_add(kernelGeometry, gradColumns, Int32(count), 0, g.channels * count,
                                        gx + block.lowerBound * g.imageSize)
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
