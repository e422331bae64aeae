import CLoomKernels

/// A 3×3 convolution (padding 1) of a 2× nearest-upsampled image, computed on the image
/// itself: `upsampledConv2d(x, w, b)` equals `conv2d(x.upsampleNearest2d(factor: 2), w, b,
/// padding: 1)`, the up-sampling step of a U-Net's decoder.
///
/// Output pixel (2i + a, 2j + b) reads upsampled rows 2i + a − 1 ..< 2i + a + 2, which are
/// only two distinct input rows, and the same for columns. So each of the four output phases
/// (a, b) is a 2×2 convolution of the input whose taps are sums of the 3×3 taps: four
/// products of C·4 rows instead of one of C·9 rows over four times the positions, 44% of the
/// multiply-adds. The products read the zero-padded input planes in place, as
/// `ShiftedConvolution` does.
extension Tensor {
    public static func upsampledConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4 && weight.shape[1] == x.shape[1]
                     && weight.shape[2] == 3 && weight.shape[3] == 3,
                     "upsampledConv2d expects input [N, C, H, W] and a 3×3 weight [O, C, 3, 3], got \(x.shape), \(weight.shape)")
        let batch = x.shape[0], outChannels = weight.shape[0]
        let geometry = ConvolutionGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                                           kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        guard UpsampledConvolution.applies(geometry, batch: batch) else {
            return conv2d(x.upsampleNearest2d(factor: 2), weight: weight, bias: bias, padding: 1)
        }
        if let bias { precondition(bias.count == outChannels, "upsampledConv2d bias of \(bias.count) for \(outChannels) channels") }
        let layout = UpsampledConvolution(geometry, outChannels: outChannels)
        let out = TensorStorage(count: batch * outChannels * 4 * geometry.imageSize / geometry.channels)
        layout.forward(x.pointer, weight: weight.pointer, bias: bias?.pointer, batch: batch, into: out.pointer)
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let shape = [batch, outChannels, 2 * geometry.height, 2 * geometry.width]
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { g in
            if let bias, let gb = bias.gradBuffer() {
                addChannelSums(g, batch: batch, channels: outChannels, plane: 4 * geometry.height * geometry.width, into: gb)
            }
            let gw = weight.gradBuffer(), gx = x.gradBuffer()
            if gw == nil && gx == nil { return }
            layout.backward(g, x: x.pointer, weight: weight.pointer, batch: batch, gw: gw, gx: gx)
        }
    }
}

struct UpsampledConvolution {
    let g: ConvolutionGeometry
    let outChannels: Int, channels: Int
    let paddedWidth: Int, paddedPlane: Int, positions: Int

    static func applies(_ geometry: ConvolutionGeometry, batch: Int) -> Bool {
        PanelConvolution.applies(geometry, batch: batch)
            && geometry.phaseFloats == (geometry.height + 2) * (geometry.width + 2)
    }

    init(_ geometry: ConvolutionGeometry, outChannels: Int) {
        g = geometry
        self.outChannels = outChannels
        channels = geometry.channels
        paddedWidth = geometry.width + 2
        paddedPlane = (geometry.height + 2) * paddedWidth
        positions = (geometry.height - 1) * paddedWidth + geometry.width
    }

    /// The 2×2 tap (0 or 1) that 3×3 tap `k` joins in output phase `phase`.
    static func tap(_ phase: Int, _ k: Int) -> Int { phase == 0 ? (k == 0 ? 0 : 1) : (k == 2 ? 1 : 0) }

    /// Offset in the padded planes of 2×2 tap `t` (row-major) of phase `p` (a·2 + b).
    func offset(phase p: Int, tap t: Int) -> Int { (p / 2 + t / 2) * paddedWidth + p % 2 + t % 2 }

    static let room = PaddedBackwardScratch.room

    /// The four phases' weights, [phase][out][C·4]: sums of the 3×3 taps each 2×2 tap covers.
    func combinedWeights(_ weight: UnsafePointer<Float>) -> TensorStorage {
        let combined = TensorStorage(count: 4 * outChannels * channels * 4, repeating: 0)
        for p in 0..<4 {
            for o in 0..<outChannels {
                for c in 0..<channels {
                    let target = combined.pointer + ((p * outChannels + o) * channels + c) * 4
                    for ki in 0..<3 {
                        for kj in 0..<3 {
                            target[UpsampledConvolution.tap(p / 2, ki) * 2 + UpsampledConvolution.tap(p % 2, kj)]
                                += weight[((o * channels + c) * 3 + ki) * 3 + kj]
                        }
                    }
                }
            }
        }
        return combined
    }

    func forward(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, batch: Int,
                 into out: UnsafeMutablePointer<Float>) {
        let combined = combinedWeights(weight), rows = channels * 4
        var offsets: [Int] = []
        for p in 0..<4 { for c in 0..<channels { for t in 0..<4 { offsets.append(c * paddedPlane + offset(phase: p, tap: t)) } } }
        let planesSize = channels * paddedPlane + UpsampledConvolution.room, productSize = outChannels * g.height * paddedWidth
        let parts = Swift.min(batch, PanelConvolution.forwardParts), perPart = planesSize + productSize
        let scratch = TensorStorage(count: parts * perPart)
        let outWidth = 2 * g.width, outPlane = 4 * g.height * g.width, stride = g.height * paddedWidth
        offsets.withUnsafeBufferPointer { offsets in
            withUnsafePointer(to: g.kernelGeometry) { kernelGeometry in
                Parallel.forEach(parts) { part in
                    let planes = scratch.pointer + part * perPart, product = planes + planesSize
                    planes.advanced(by: planesSize - UpsampledConvolution.room).update(repeating: 0, count: UpsampledConvolution.room)
                    for n in PanelConvolution.images(part: part, of: parts, batch: batch) {
                        loom_fill_image_phases(kernelGeometry, x + n * g.imageSize, Int32(channels), planes)
                        for p in 0..<4 {
                            loom_gemm_gathered(Int32(outChannels), Int32(positions), Int32(rows),
                                               combined.pointer + p * outChannels * rows, rows, planes,
                                               offsets.baseAddress! + p * rows, 0, product, stride)
                            let target = out + n * outChannels * outPlane + (p / 2) * outWidth + p % 2
                            for o in 0..<outChannels {
                                let b = bias?[o] ?? 0
                                for i in 0..<g.height {
                                    let from = product + o * stride + i * paddedWidth
                                    let to = target + o * outPlane + 2 * i * outWidth
                                    for j in 0..<g.width { to[2 * j] = from[j] + b }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the weight gradient into `gw` and the input gradient into `gx`, either may be nil.
    func backward(_ grad: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, batch: Int,
                  gw: UnsafeMutablePointer<Float>?, gx: UnsafeMutablePointer<Float>?) {
        let pw = paddedWidth, outWidth = 2 * g.width, outPlane = 4 * g.height * g.width
        let parts = Swift.min(batch, PanelConvolution.gradientParts)
        let lead = 2 * pw + 2, extended = lead + paddedPlane + UpsampledConvolution.room
        let scratch = PaddedBackwardScratch(parts: parts, weight: gw != nil, input: gx != nil, channels: channels,
                                            outChannels: outChannels, paddedPlane: paddedPlane, positions: positions,
                                            sumBlocks: 16, extendedRows: 4 * outChannels, extended: extended)
        // The input gradient's A: (C, phase·out·4), the combined weights with C outermost.
        let transposed = gx != nil ? TensorStorage(count: 16 * outChannels * channels) : nil
        var backOffsets: [Int] = []
        if let transposed {
            let combined = combinedWeights(weight)
            for c in 0..<channels {
                for p in 0..<4 {
                    for o in 0..<outChannels {
                        for t in 0..<4 {
                            transposed.pointer[((c * 4 + p) * outChannels + o) * 4 + t] =
                                combined.pointer[((p * outChannels + o) * channels + c) * 4 + t]
                        }
                    }
                }
            }
            for p in 0..<4 {
                for o in 0..<outChannels {
                    for t in 0..<4 { backOffsets.append((p * outChannels + o) * extended + lead - offset(phase: p, tap: t)) }
                }
            }
        }
        backOffsets.withUnsafeBufferPointer { offsets in
            withUnsafePointer(to: g.kernelGeometry) { kernelGeometry in
                Parallel.forEach(parts) { part in
                    let buffers = scratch.part(part), planes = buffers.planes, gradientT = buffers.gradientT
                    let sums = buffers.sums, extendedGradient = buffers.extendedGradient
                    for n in PanelConvolution.images(part: part, of: parts, batch: batch) {
                        let gy = grad + n * outChannels * outPlane
                        if gw != nil {
                            loom_fill_image_phases(kernelGeometry, x + n * g.imageSize, Int32(channels), planes)
                            for p in 0..<4 {
                                // dYᵀ of this phase on the padded grid; the dropped columns stay zero.
                                let phaseGradient = gy + (p / 2) * outWidth + p % 2
                                for o in 0..<outChannels {
                                    let panel = gradientT + o / 16 * positions * 16 + o % 16
                                    for i in 0..<g.height {
                                        let from = phaseGradient + o * outPlane + 2 * i * outWidth
                                        for j in 0..<g.width { panel[(i * pw + j) * 16] = from[2 * j] }
                                    }
                                }
                                for t in 0..<4 {
                                    loom_gemm_panels(Int32(channels), Int32(outChannels), Int32(positions),
                                                     planes + offset(phase: p, tap: t), paddedPlane, gradientT, positions * 16, 1,
                                                     sums + (p * 4 + t) * channels * outChannels, outChannels)
                                }
                            }
                        }
                        if let gx, let transposed {
                            for p in 0..<4 {
                                let phaseGradient = gy + (p / 2) * outWidth + p % 2
                                for o in 0..<outChannels {
                                    let to = extendedGradient + (p * outChannels + o) * extended + lead
                                    for i in 0..<g.height {
                                        let from = phaseGradient + o * outPlane + 2 * i * outWidth
                                        for j in 0..<g.width { to[i * pw + j] = from[2 * j] }
                                    }
                                }
                            }
                            loom_gemm_gathered(Int32(channels), Int32(paddedPlane), Int32(16 * outChannels),
                                               transposed.pointer, 16 * outChannels, extendedGradient, offsets.baseAddress,
                                               0, buffers.inputGradient, paddedPlane)
                            g.addInterior(of: buffers.inputGradient, paddedWidth: pw, paddedPlane: paddedPlane,
                                          into: gx + n * g.imageSize)
                        }
                    }
                }
            }
        }
        guard let gw else { return }
        // gw[o, c, ki, kj] += Σ_part Σ_phase sums[part][phase, tap(ki, kj)][c, o], in that order.
        let rows = channels * 9
        Parallel.forRanges(outChannels, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(rows * parts * 4, 1))) { range in
            for o in range {
                for c in 0..<channels {
                    for ki in 0..<3 {
                        for kj in 0..<3 {
                            var total = gw[o * rows + c * 9 + ki * 3 + kj]
                            for part in 0..<parts {
                                for p in 0..<4 {
                                    let t = UpsampledConvolution.tap(p / 2, ki) * 2 + UpsampledConvolution.tap(p % 2, kj)
                                    total += scratch.sum(part: part, ((p * 4 + t) * channels + c) * outChannels + o)
                                }
                            }
                            gw[o * rows + c * 9 + ki * 3 + kj] = total
                        }
                    }
                }
            }
        }
    }
}
