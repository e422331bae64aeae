/// The two sides of a 2-D convolution window, and the im2col / col2im kernels between them.
///
/// The image side is `[images, channels, height, width]`. The column side is
/// `[channels * kernelHeight * kernelWidth, images, outputHeight * outputWidth]`: one row per
/// kernel tap, with the images of a chunk side by side, so a whole chunk of the batch is
/// one GEMM against the `[outChannels, channels * kH * kW]` weight matrix.
public struct ConvolutionGeometry: Equatable {
    public let channels: Int, height: Int, width: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int
    public let outputHeight: Int, outputWidth: Int

    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        precondition(stride > 0 && padding >= 0 && kernelHeight > 0 && kernelWidth > 0,
                     "convolution needs stride > 0, padding >= 0 and a non-empty kernel")
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        outputHeight = (height + 2 * padding - kernelHeight) / stride + 1
        outputWidth = (width + 2 * padding - kernelWidth) / stride + 1
        precondition(height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
                     "kernel \(kernelHeight)x\(kernelWidth) larger than padded input \(height)x\(width) (padding \(padding))")
    }

    /// Floats in one image on the image side.
    public var imageSize: Int { channels * height * width }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    public var columnRows: Int { channels * kernelHeight * kernelWidth }
    /// Output positions per image.
    public var outputPlane: Int { outputHeight * outputWidth }

    /// Column floats kept for one chunk at most (64 MB); larger batches run chunk by chunk.
    /// Tests lower it to exercise the chunked path.
    nonisolated(unsafe) static var maximumColumnFloats = 1 << 24

    /// How many images share one GEMM so the column matrix stays under the cap.
    public func imagesPerChunk(batch: Int) -> Int {
        let perImage = Swift.max(1, columnRows * outputPlane)
        return Swift.max(1, Swift.min(batch, ConvolutionGeometry.maximumColumnFloats / perImage))
    }

    /// Output indices `o` in 0..<count whose input index `o * stride + offset` lies in 0..<limit.
    @inline(__always)
    static func validRange(count: Int, offset: Int, stride: Int, limit: Int) -> Range<Int> {
        let low = offset >= 0 ? 0 : (-offset + stride - 1) / stride
        let last = limit - 1 - offset
        let high = last < 0 ? 0 : Swift.min(count, last / stride + 1)
        return Swift.min(low, high)..<Swift.max(low, high)
    }

    /// Writes the column matrix of `images` consecutive images (padding reads as zero).
    public func im2col(_ image: UnsafePointer<Float>, images: Int, into columns: UnsafeMutablePointer<Float>) {
        let plane = outputPlane, outWidth = outputWidth, taps = kernelHeight * kernelWidth
        let units = columnRows * images
        Parallel.forRanges(units, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(plane, 1))) { range in
            for unit in range {
                let row = unit / images, n = unit - row * images
                let c = row / taps, tap = row - c * taps
                let ki = tap / kernelWidth, kj = tap - ki * kernelWidth
                let source = image + (n * channels + c) * height * width
                let target = columns + unit * plane
                let rows = ConvolutionGeometry.validRange(count: outputHeight, offset: ki - padding, stride: stride, limit: height)
                let cols = ConvolutionGeometry.validRange(count: outWidth, offset: kj - padding, stride: stride, limit: width)
                target.update(repeating: 0, count: rows.lowerBound * outWidth)
                for oh in rows {
                    let d = target + oh * outWidth
                    let base = (oh * stride + ki - padding) * width + kj - padding
                    for ow in 0..<cols.lowerBound { d[ow] = 0 }
                    if stride == 1 {
                        (d + cols.lowerBound).update(from: source + base + cols.lowerBound, count: cols.count)
                    } else {
                        for ow in cols { d[ow] = source[base + ow * stride] }
                    }
                    for ow in cols.upperBound..<outWidth { d[ow] = 0 }
                }
                (target + rows.upperBound * outWidth).update(repeating: 0, count: (outputHeight - rows.upperBound) * outWidth)
            }
        }
    }

    /// Adds the column matrix of `images` consecutive images back onto the image side,
    /// summing every tap that read each pixel. Each worker owns whole (image, channel) planes.
    public func col2imAdding(_ columns: UnsafePointer<Float>, images: Int, into image: UnsafeMutablePointer<Float>) {
        let plane = outputPlane, outWidth = outputWidth, taps = kernelHeight * kernelWidth
        let units = images * channels
        let work = Swift.max(1, taps * plane)
        Parallel.forRanges(units, threshold: Swift.max(1, Parallel.elementThreshold / work)) { range in
            for unit in range {
                let n = unit / channels, c = unit - n * channels
                let target = image + unit * height * width
                for ki in 0..<kernelHeight {
                    let rows = ConvolutionGeometry.validRange(count: outputHeight, offset: ki - padding, stride: stride, limit: height)
                    for kj in 0..<kernelWidth {
                        let cols = ConvolutionGeometry.validRange(count: outWidth, offset: kj - padding, stride: stride, limit: width)
                        let row = c * taps + ki * kernelWidth + kj
                        let source = columns + (row * images + n) * plane
                        for oh in rows {
                            let s = source + oh * outWidth
                            let base = (oh * stride + ki - padding) * width + kj - padding
                            if stride == 1 {
                                let d = target + base
                                for ow in cols { d[ow] += s[ow] }
                            } else {
                                for ow in cols { target[base + ow * stride] += s[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Moves `[outer, inner, block]` to `[inner, outer, block]`: the reshuffle between a batch
/// in NCHW order and the channel-major layout of a whole-batch GEMM.
enum BlockTranspose {
    /// `target[i, o, :] = source[o, i, :] + (rowBias?[o] ?? 0)`.
    static func copy(_ source: UnsafePointer<Float>, outer: Int, inner: Int, block: Int,
                     into target: UnsafeMutablePointer<Float>, rowBias: UnsafePointer<Float>? = nil) {
        let units = outer * inner
        Parallel.forRanges(units, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(block, 1))) { range in
            for unit in range {
                let o = unit / inner, i = unit - o * inner
                let s = source + unit * block, d = target + (i * outer + o) * block
                if let rowBias {
                    let b = rowBias[o]
                    for j in 0..<block { d[j] = s[j] + b }
                } else {
                    d.update(from: s, count: block)
                }
            }
        }
    }

    /// `target[i, o, :] += source[o, i, :]`.
    static func add(_ source: UnsafePointer<Float>, outer: Int, inner: Int, block: Int,
                    into target: UnsafeMutablePointer<Float>) {
        let units = outer * inner
        Parallel.forRanges(units, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(block, 1))) { range in
            for unit in range {
                let o = unit / inner, i = unit - o * inner
                let s = source + unit * block, d = target + (i * outer + o) * block
                for j in 0..<block { d[j] += s[j] }
            }
        }
    }
}

/// Per-channel sums of an NCHW-shaped gradient, added into `target[c]`: the bias gradient of
/// a convolution and the shift gradient of batch norm.
func addChannelSums(_ source: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int,
                    into target: UnsafeMutablePointer<Float>) {
    Parallel.forRanges(channels, threshold: Swift.max(1, Parallel.elementThreshold / Swift.max(batch * plane, 1))) { range in
        for c in range {
            var total: Double = 0
            for n in 0..<batch { total += Double(RowReduction.sum(source + (n * channels + c) * plane, plane)) }
            target[c] += Float(total)
        }
    }
}
