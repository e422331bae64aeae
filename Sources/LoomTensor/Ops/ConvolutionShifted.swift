import CLoomKernels

/// Stride-1 conv2d without a column matrix: each column row is an input plane, zero-padded
/// and shifted by its tap, so the products read the padded planes in place.
///
/// Positions run over the padded grid: output (oh, ow) is position oh·pw + ow of a plane
/// pw = W + 2·padding floats wide, and tap (ki, kj) of it reads padded pixel
/// position + ki·pw + kj. The kW − 1 positions past each output row are computed and
/// dropped (forward), or carry a zero gradient (backward); for 28×28 images that is 2 in
/// 30 columns, less than writing and reading the nine-fold column matrix.
///
///     forward:  Y (out, positions)  = W (out, C·taps) · shifted planes       loom_gemm_gathered
///     weight:   dWₜᵀ (C, out)     += padded planes + offsetₜ · dYᵀ         one product per tap
///     input:    dX (C, padded)    = Wᵀ (C, out·taps) · dY shifted back     loom_gemm_gathered
enum ShiftedConvolution {
    /// Tests turn the path off to compare it with the panel path.
    nonisolated(unsafe) static var enabled = true

    static func applies(_ geometry: ConvolutionGeometry, batch: Int) -> Bool {
        let paddedWidth = geometry.width + 2 * geometry.padding
        return enabled && PanelConvolution.applies(geometry, batch: batch) && geometry.stride == 1
            && paddedWidth * 5 <= geometry.outputWidth * 6
            && geometry.phaseFloats == (geometry.height + 2 * geometry.padding) * paddedWidth
    }

    static let room = PaddedBackwardScratch.room

    struct Layout {
        let paddedWidth: Int, paddedPlane: Int, positions: Int, taps: Int
        /// Offset of each (channel, tap) row of the column matrix in the padded planes.
        let rowOffsets: [Int]

        init(_ g: ConvolutionGeometry) {
            paddedWidth = g.width + 2 * g.padding
            paddedPlane = (g.height + 2 * g.padding) * paddedWidth
            positions = (g.outputHeight - 1) * paddedWidth + g.outputWidth
            taps = g.kernelHeight * g.kernelWidth
            var offsets: [Int] = []
            for c in 0..<g.channels {
                for ki in 0..<g.kernelHeight {
                    for kj in 0..<g.kernelWidth { offsets.append(c * paddedPlane + ki * paddedWidth + kj) }
                }
            }
            rowOffsets = offsets
        }

        func tapOffset(_ t: Int, _ g: ConvolutionGeometry) -> Int { t / g.kernelWidth * paddedWidth + t % g.kernelWidth }
    }

    static func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        geometry g: ConvolutionGeometry, batch: Int, outChannels: Int, into out: UnsafeMutablePointer<Float>) {
        let layout = Layout(g), rows = g.columnRows, plane = g.outputPlane
        let planesSize = g.channels * layout.paddedPlane + room
        let productSize = outChannels * g.outputHeight * layout.paddedWidth
        let parts = Swift.min(batch, PanelConvolution.forwardParts), perPart = planesSize + productSize
        let scratch = TensorStorage(count: parts * perPart)
        layout.rowOffsets.withUnsafeBufferPointer { offsets in
            withUnsafePointer(to: g.kernelGeometry) { kernelGeometry in
                Parallel.forEach(parts) { part in
                    let planes = scratch.pointer + part * perPart, product = planes + planesSize
                    planes.advanced(by: planesSize - room).update(repeating: 0, count: room)
                    for n in PanelConvolution.images(part: part, of: parts, batch: batch) {
                        loom_fill_image_phases(kernelGeometry, x + n * g.imageSize, Int32(g.channels), planes)
                        let stride = g.outputHeight * layout.paddedWidth
                        loom_gemm_gathered(Int32(outChannels), Int32(layout.positions), Int32(rows), weight, rows, planes,
                                           offsets.baseAddress, 0, product, stride)
                        let target = out + n * outChannels * plane
                        for o in 0..<outChannels {
                            let b = bias?[o] ?? 0
                            for oh in 0..<g.outputHeight {
                                let from = product + o * stride + oh * layout.paddedWidth
                                let to = target + o * plane + oh * g.outputWidth
                                for ow in 0..<g.outputWidth { to[ow] = from[ow] + b }
                            }
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
        let layout = Layout(g), rows = g.columnRows, taps = layout.taps, channels = g.channels
        let pw = layout.paddedWidth, positions = layout.positions
        let parts = Swift.min(batch, PanelConvolution.gradientParts)
        // dY on the padded grid, with `lead` zeros before each plane so a tap's shift back
        // stays inside it, and room after.
        let lead = (g.kernelHeight - 1) * pw + g.kernelWidth - 1
        let extended = lead + layout.paddedPlane + room
        let scratch = PaddedBackwardScratch(parts: parts, weight: gw != nil, input: gx != nil, channels: channels,
                                            outChannels: outChannels, paddedPlane: layout.paddedPlane, positions: positions,
                                            sumBlocks: taps, extendedRows: outChannels, extended: extended)
        // The input gradient's A: (C, out·taps), A[c, o·taps + t] = W[o, c·taps + t].
        let transposed = gx != nil ? TensorStorage(count: rows * outChannels) : nil
        if let transposed {
            for o in 0..<outChannels {
                for c in 0..<channels {
                    for t in 0..<taps { transposed.pointer[(c * outChannels + o) * taps + t] = weight[o * rows + c * taps + t] }
                }
            }
        }
        var backOffsets: [Int] = []
        for o in 0..<outChannels { for t in 0..<taps { backOffsets.append(o * extended + lead - layout.tapOffset(t, g)) } }
        let plane = g.outputPlane
        backOffsets.withUnsafeBufferPointer { offsets in
            withUnsafePointer(to: g.kernelGeometry) { kernelGeometry in
                Parallel.forEach(parts) { part in
                    let buffers = scratch.part(part), planes = buffers.planes, gradientT = buffers.gradientT
                    let sums = buffers.sums, extendedGradient = buffers.extendedGradient
                    for n in PanelConvolution.images(part: part, of: parts, batch: batch) {
                        let gy = grad + n * outChannels * plane
                        if gw != nil {
                            loom_fill_image_phases(kernelGeometry, x + n * g.imageSize, Int32(channels), planes)
                            // dYᵀ on the padded grid; the dropped columns stay zero.
                            for oh in 0..<g.outputHeight {
                                loom_pack_rows_transposed(gy + oh * g.outputWidth, Int32(outChannels), Int32(g.outputWidth), plane,
                                                          gradientT + oh * pw * 16, positions * 16)
                            }
                            for t in 0..<taps {
                                loom_gemm_panels(Int32(channels), Int32(outChannels), Int32(positions), planes + layout.tapOffset(t, g),
                                                 layout.paddedPlane, gradientT, positions * 16, 1,
                                                 sums + t * channels * outChannels, outChannels)
                            }
                        }
                        if let gx, let transposed {
                            for o in 0..<outChannels {
                                for oh in 0..<g.outputHeight {
                                    let to = extendedGradient + o * extended + lead + oh * pw
                                    to.update(from: gy + o * plane + oh * g.outputWidth, count: g.outputWidth)
                                }
                            }
                            loom_gemm_gathered(Int32(channels), Int32(layout.paddedPlane), Int32(outChannels * taps),
                                               transposed.pointer, outChannels * taps, extendedGradient, offsets.baseAddress,
                                               0, buffers.inputGradient, layout.paddedPlane)
                            g.addInterior(of: buffers.inputGradient, paddedWidth: pw, paddedPlane: layout.paddedPlane,
                                          into: gx + n * g.imageSize)
                        }
                    }
                }
            }
        }
        guard let gw else { return }
        // gw[o, c·taps + t] += Σ_part sums[part][t][c, o], the parts in order.
        Parallel.forRanges(outChannels, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(rows * parts, 1))) { range in
            for o in range {
                for c in 0..<channels {
                    for t in 0..<taps {
                        var total = gw[o * rows + c * taps + t]
                        for part in 0..<parts {
                            total += scratch.sum(part: part, (t * channels + c) * outChannels + o)
                        }
                        gw[o * rows + c * taps + t] = total
                    }
                }
            }
        }
    }
}
