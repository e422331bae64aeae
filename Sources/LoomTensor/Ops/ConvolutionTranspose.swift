/// Transposed 2-D convolution (PyTorch's `conv_transpose2d`, NCHW): the adjoint of
/// `conv2d` with respect to its input, so it runs the same kernels the other way round.
///
/// The weight has PyTorch's layout `[C_in, C_out, kH, kW]`, read as a `(C_in, K)` matrix
/// with K = C_out·kH·kW. The output is where a convolution of the same geometry would
/// read from: OH = (H - 1)·stride - 2·padding + kH + outputPadding.
/// Forward, per chunk of B images (P = H·W input positions):
///   xRows    (C_in, B·P) = x reshuffled
///   columns  (K, B·P)    = Wᵀ · xRows;   y = bias + col2im(columns)
/// Backward:
///   dcolumns (K, B·P)    = im2col(dY)
///   dx      += (W · dcolumns) reshuffled;  dW (C_in, K) += xRows · dcolumnsᵀ
extension Tensor {
    public static func convTranspose2d(
        _ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0, outputPadding: Int = 0
    ) -> Tensor {
        precondition(x.rank == 4, "convTranspose2d expects input [N, C, H, W], got \(x.shape)")
        precondition(weight.rank == 4 && weight.shape[0] == x.shape[1],
                     "convTranspose2d weight \(weight.shape) (layout [C_in, C_out, kH, kW]) does not match input \(x.shape)")
        precondition(outputPadding >= 0 && outputPadding < stride,
                     "convTranspose2d output padding \(outputPadding) must lie in 0..<stride (\(stride))")
        let batch = x.shape[0], inChannels = x.shape[1], height = x.shape[2], width = x.shape[3]
        let outChannels = weight.shape[1], kernelHeight = weight.shape[2], kernelWidth = weight.shape[3]
        if let bias { precondition(bias.count == outChannels, "convTranspose2d bias of \(bias.count) for \(outChannels) channels") }
        let outHeight = (height - 1) * stride - 2 * padding + kernelHeight + outputPadding
        let outWidth = (width - 1) * stride - 2 * padding + kernelWidth + outputPadding
        precondition(outHeight > 0 && outWidth > 0, "convTranspose2d output of \(outHeight)x\(outWidth) for input \(x.shape)")
        // The convolution whose input gradient this op computes: image side = our output.
        let geometry = ConvolutionGeometry(
            channels: outChannels, height: outHeight, width: outWidth,
            kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding)
        precondition(geometry.outputHeight == height && geometry.outputWidth == width, "convTranspose2d geometry mismatch")
        let rows = geometry.columnRows, plane = height * width, outImage = geometry.imageSize
        let chunk = geometry.imagesPerChunk(batch: batch)
        let out = TensorStorage(count: batch * outImage)
        if let bias {
            addRowBiasFilling(bias.pointer, rows: batch * outChannels, channels: outChannels,
                              length: outHeight * outWidth, into: out.pointer)
        } else {
            out.zero()
        }
        let xRows = chunk > 1 ? TensorStorage(count: inChannels * chunk * plane) : nil
        let columns = TensorStorage(count: rows * chunk * plane)
        for start in Swift.stride(from: 0, to: batch, by: chunk) {
            let images = Swift.min(chunk, batch - start)
            let source = rowsOfChunk(x.pointer + start * inChannels * plane, images: images, channels: inChannels,
                                     plane: plane, scratch: xRows)
            sgemm(transposeA: true, transposeB: false, m: rows, n: images * plane, k: inChannels,
                  a: weight.pointer, b: source, c: columns.pointer)
            geometry.col2imAdding(columns.pointer, images: images, into: out.pointer + start * outImage)
        }

        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let shape = [batch, outChannels, outHeight, outWidth]
        return Tensor.result(shape: shape, storage: out, inputs: inputs) { g in
            if let bias, let gb = bias.gradBuffer() {
                addChannelSums(g, batch: batch, channels: outChannels, plane: outHeight * outWidth, into: gb)
            }
            let gw = weight.gradBuffer(), gx = x.gradBuffer()
            if gw == nil && gx == nil { return }
            let gradColumns = TensorStorage(count: rows * chunk * plane)
            let scratch = chunk > 1 ? TensorStorage(count: inChannels * chunk * plane) : nil
            for start in Swift.stride(from: 0, to: batch, by: chunk) {
                let images = Swift.min(chunk, batch - start)
                geometry.im2col(g + start * outImage, images: images, into: gradColumns.pointer)
                if let gw {
                    let source = rowsOfChunk(x.pointer + start * inChannels * plane, images: images,
                                             channels: inChannels, plane: plane, scratch: scratch)
                    sgemm(transposeA: false, transposeB: true, m: inChannels, n: rows, k: images * plane,
                          a: source, b: gradColumns.pointer, beta: 1, c: gw)
                }
                if let gx {
                    let target = gx + start * inChannels * plane
                    if let scratch {
                        sgemm(transposeA: false, transposeB: false, m: inChannels, n: images * plane, k: rows,
                              a: weight.pointer, b: gradColumns.pointer, c: scratch.pointer)
                        BlockTranspose.add(scratch.pointer, outer: inChannels, inner: images, block: plane, into: target)
                    } else {
                        sgemm(transposeA: false, transposeB: false, m: inChannels, n: plane, k: rows,
                              a: weight.pointer, b: gradColumns.pointer, beta: 1, c: target)
                    }
                }
            }
        }
    }
}

/// A chunk of images `[B, C, P]` as the `(C, B·P)` matrix a GEMM wants: the input itself
/// for one image, else reshuffled into `scratch`.
private func rowsOfChunk(_ images: UnsafePointer<Float>, images count: Int, channels: Int, plane: Int,
                         scratch: TensorStorage?) -> UnsafePointer<Float> {
    guard count > 1, let scratch else { return images }
    BlockTranspose.copy(images, outer: count, inner: channels, block: plane, into: scratch.pointer)
    return UnsafePointer(scratch.pointer)
}

/// Fills each `[length]` row r of `target` with `bias[r % channels]`.
func addRowBiasFilling(_ bias: UnsafePointer<Float>, rows: Int, channels: Int, length: Int,
                       into target: UnsafeMutablePointer<Float>) {
    Parallel.forRanges(rows, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(length, 1))) { range in
        for r in range { (target + r * length).update(repeating: bias[r % channels], count: length) }
    }
}
