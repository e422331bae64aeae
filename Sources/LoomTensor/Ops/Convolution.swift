/// 2-D convolution (PyTorch's `conv2d`, NCHW) through im2col and one GEMM per chunk of
/// the batch.
///
/// Forward, per chunk of B images:
///   columns  (K, B·P)      = im2col(x)                 K = C_in·kH·kW, P = OH·OW
///   product  (C_out, B·P)  = W (C_out, K) · columns
///   y        (B, C_out, P) = product reshuffled + bias
/// Backward:
///   dW (C_out, K) += dYᵀ-reshuffled (C_out, B·P) · columnsᵀ
///   dcolumns (K, B·P) = Wᵀ · dY-reshuffled;  dx += col2im(dcolumns)
/// The columns of the forward pass are kept for the weight gradient when the whole batch
/// fits in one chunk; otherwise backward rebuilds them chunk by chunk. With few taps
/// (small K) the output and weight gradient skip BLAS (see Im2colFewTaps.swift).
///
/// This is the portable path. With AVX2 and at least one image per core, other kernels
/// take over: stride-1 convolutions over wide planes read their padded input in place
/// (ConvolutionShifted.swift), and the rest write column panels for Loom's packed kernel
/// (ConvolutionPanels.swift).
extension Tensor {
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(x.rank == 4, "conv2d expects input [N, C, H, W], got \(x.shape)")
        precondition(weight.rank == 4 && weight.shape[1] == x.shape[1],
                     "conv2d weight \(weight.shape) does not match input channels of \(x.shape)")
        let batch = x.shape[0], outChannels = weight.shape[0]
        if let bias { precondition(bias.count == outChannels, "conv2d bias of \(bias.count) for \(outChannels) channels") }
        let geometry = ConvolutionGeometry(
            channels: x.shape[1], height: x.shape[2], width: x.shape[3],
            kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], stride: stride, padding: padding)
        if PanelConvolution.applies(geometry, batch: batch) {
            return panelConv2d(x, weight: weight, bias: bias, geometry: geometry)
        }
        let rows = geometry.columnRows, plane = geometry.outputPlane, imageSize = geometry.imageSize
        let chunk = geometry.imagesPerChunk(batch: batch)
        let out = TensorStorage(count: batch * outChannels * plane)
        let columns = TensorStorage(count: rows * chunk * plane)
        let fewTaps = geometry.hasFewTaps
        let product = chunk > 1 && !fewTaps ? TensorStorage(count: outChannels * chunk * plane) : nil

        for start in Swift.stride(from: 0, to: batch, by: chunk) {
            let images = Swift.min(chunk, batch - start)
            geometry.im2col(x.pointer + start * imageSize, images: images, into: columns.pointer)
            let target = out.pointer + start * outChannels * plane
            if fewTaps {
                geometry.fewTapsForward(weight: weight.pointer, bias: bias?.pointer, columns: columns.pointer,
                                        images: images, outChannels: outChannels, into: target)
            } else if images == 1 {
                // One image: the GEMM writes straight into NCHW order.
                sgemm(transposeA: false, transposeB: false, m: outChannels, n: plane, k: rows,
                      a: weight.pointer, b: columns.pointer, c: target)
                if let bias { addRowBias(bias.pointer, rows: outChannels, length: plane, into: target) }
            } else {
                sgemm(transposeA: false, transposeB: false, m: outChannels, n: images * plane, k: rows,
                      a: weight.pointer, b: columns.pointer, c: product!.pointer)
                BlockTranspose.copy(product!.pointer, outer: outChannels, inner: images, block: plane,
                                    into: target, rowBias: bias?.pointer)
            }
        }

        let keptColumns = chunk == batch && weight.requiresGradient ? columns : nil
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let shape = [batch, outChannels, geometry.outputHeight, geometry.outputWidth]
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { [keptColumns] g in
            if let bias, let gb = bias.gradBuffer() {
                addChannelSums(g, batch: batch, channels: outChannels, plane: plane, into: gb)
            }
            let gw = weight.gradBuffer(), gx = x.gradBuffer()
            if gw == nil && gx == nil { return }
            let columns = keptColumns ?? (gw != nil ? TensorStorage(count: rows * chunk * plane) : nil)
            let needsRows = gx != nil || !fewTaps
            let reshuffled = chunk > 1 && needsRows ? TensorStorage(count: outChannels * chunk * plane) : nil
            let gradColumns = gx != nil ? TensorStorage(count: rows * chunk * plane) : nil
            for start in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = Swift.min(chunk, batch - start)
                let gradOut = g + start * outChannels * plane
                // dY as (C_out, images·P); for one image that is dY itself.
                let gradRows: UnsafePointer<Float>
                if let reshuffled, images > 1 {
                    BlockTranspose.copy(gradOut, outer: images, inner: outChannels, block: plane, into: reshuffled.pointer)
                    gradRows = UnsafePointer(reshuffled.pointer)
                } else {
                    gradRows = UnsafePointer(gradOut)
                }
                if let gw, let columns {
                    if keptColumns == nil {
                        geometry.im2col(x.pointer + start * imageSize, images: images, into: columns.pointer)
                    }
                    if fewTaps {
                        geometry.fewTapsWeightGradient(gradOut: gradOut, columns: columns.pointer, images: images,
                                                       outChannels: outChannels, into: gw)
                    } else {
                        sgemm(transposeA: false, transposeB: true, m: outChannels, n: rows, k: images * plane,
                              a: gradRows, b: columns.pointer, beta: 1, c: gw)
                    }
                }
                if let gx, let gradColumns {
                    sgemm(transposeA: true, transposeB: false, m: rows, n: images * plane, k: outChannels,
                          a: weight.pointer, b: gradRows, c: gradColumns.pointer)
                    geometry.col2imAdding(gradColumns.pointer, images: images, into: gx + start * imageSize)
                }
            }
        }
    }

    private static func panelConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry) -> Tensor {
        let batch = x.shape[0], outChannels = weight.shape[0], plane = geometry.outputPlane
        let out = TensorStorage(count: batch * outChannels * plane)
        let shifted = ShiftedConvolution.applies(geometry, batch: batch)
        if shifted {
            ShiftedConvolution.forward(x.pointer, weight: weight.pointer, bias: bias?.pointer, geometry: geometry,
                                       batch: batch, outChannels: outChannels, into: out.pointer)
        } else {
            PanelConvolution.forward(x.pointer, weight: weight.pointer, bias: bias?.pointer, geometry: geometry,
                                     batch: batch, outChannels: outChannels, into: out.pointer)
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let shape = [batch, outChannels, geometry.outputHeight, geometry.outputWidth]
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { g in
            if let bias, let gb = bias.gradBuffer() {
                addChannelSums(g, batch: batch, channels: outChannels, plane: plane, into: gb)
            }
            let gw = weight.gradBuffer(), gx = x.gradBuffer()
            if gw == nil && gx == nil { return }
            if shifted {
                ShiftedConvolution.backward(g, x: x.pointer, weight: weight.pointer, geometry: geometry, batch: batch,
                                            outChannels: outChannels, gw: gw, gx: gx)
            } else {
                PanelConvolution.backward(g, x: x.pointer, weight: weight.pointer, geometry: geometry, batch: batch,
                                          outChannels: outChannels, gw: gw, gx: gx)
            }
        }
    }
}

/// `target[r, :] += bias[r]` for a `[rows, length]` block.
func addRowBias(_ bias: UnsafePointer<Float>, rows: Int, length: Int, into target: UnsafeMutablePointer<Float>) {
    Parallel.forRanges(rows, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(length, 1))) { range in
        for r in range {
            let b = bias[r], d = target + r * length
            for j in 0..<length { d[j] += b }
        }
    }
}
