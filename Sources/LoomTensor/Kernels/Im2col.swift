import CLoomKernels

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

    /// Column floats kept for one chunk at most (8 MB). A column matrix that stays in the
    /// last-level cache between im2col and the GEMM that reads it makes a convolution over
    /// large images faster, even though backward then rebuilds the columns chunk by chunk
    /// instead of keeping them. Tests lower it to exercise the chunked path.
    nonisolated(unsafe) static var maximumColumnFloats = 1 << 21

    /// How many images share one GEMM so the column matrix stays under the cap; the chunks
    /// of a batch are made as even as the cap allows.
    public func imagesPerChunk(batch: Int) -> Int {
        let perImage = Swift.max(1, columnRows * outputPlane)
        let most = Swift.max(1, Swift.min(batch, ConvolutionGeometry.maximumColumnFloats / perImage))
        let chunks = (batch + most - 1) / most
        return Swift.max(1, (batch + chunks - 1) / chunks)
    }

    /// The same geometry as the C kernels take it.
    var kernelGeometry: loom_convolution_geometry {
        loom_convolution_geometry(
            channels: Int32(channels), height: Int32(height), width: Int32(width),
            kernel_height: Int32(kernelHeight), kernel_width: Int32(kernelWidth),
            stride: Int32(stride), padding: Int32(padding),
            out_height: Int32(outputHeight), out_width: Int32(outputWidth))
    }

    /// Floats of one channel's zero-padded phases (`loom_fill_image_phases`).
    var phaseFloats: Int { withUnsafePointer(to: kernelGeometry) { Int(loom_phase_floats($0)) } }

    /// Writes the column matrix of `images` consecutive images (padding reads as zero).
    public func im2col(_ image: UnsafePointer<Float>, images: Int, into columns: UnsafeMutablePointer<Float>) {
        let units = channels * images
        let work = Swift.max(1, kernelHeight * kernelWidth * outputPlane)
        withUnsafePointer(to: kernelGeometry) { geometry in
            Parallel.forRanges(units, threshold: Swift.max(1, Parallel.elementThreshold / work)) { range in
                loom_im2col(geometry, image, Int32(images), range.lowerBound, range.upperBound, columns)
            }
        }
    }

    /// Adds the column matrix of `images` consecutive images back onto the image side,
    /// summing every tap that read each pixel. Each worker owns whole (image, channel) planes.
    public func col2imAdding(_ columns: UnsafePointer<Float>, images: Int, into image: UnsafeMutablePointer<Float>) {
        let units = images * channels
        let work = Swift.max(1, kernelHeight * kernelWidth * outputPlane)
        withUnsafePointer(to: kernelGeometry) { geometry in
            Parallel.forRanges(units, threshold: Swift.max(1, Parallel.elementThreshold / work)) { range in
                loom_col2im_add(geometry, columns, Int32(images), range.lowerBound, range.upperBound, image)
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
