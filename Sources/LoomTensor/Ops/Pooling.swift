/// 2-D max and average pooling over NCHW tensors, with PyTorch's semantics
/// (floor output size, padding that never wins a max, `count_include_pad=True`).
/// Every (image, channel) plane is independent, so the planes are spread over the cores.
extension Tensor {
    /// Max pooling; the gradient goes to the first maximal element of each window.
    /// `stride` defaults to `kernel`, as in PyTorch.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let window = PoolingWindow(shape, kernel: kernel, stride: stride ?? kernel, padding: padding, op: "maxPool2d")
        let planes = window.planes, inPlane = window.inputPlane, outPlane = window.outputPlane
        let out = TensorStorage(count: planes * outPlane)
        // The argmax (index within its input plane) of every output, kept as a float: exact
        // below 2^24, and it comes from the storage pool like every other buffer.
        precondition(inPlane <= 1 << 24, "maxPool2d plane of \(inPlane) pixels is too large")
        let argmax = TensorStorage(count: planes * outPlane)
        let x = pointer, o = out.pointer, at = argmax.pointer
        Parallel.forRanges(planes, threshold: window.planeThreshold) { range in
            for p in range { window.maxPlane(x + p * inPlane, o + p * outPlane, at + p * outPlane) }
        }
        return Tensor.result(shape: window.outputShape, storage: out, inputs: [self]) { [self, argmax] g in
            guard let gx = self.gradBuffer() else { return }
            let at = argmax.pointer
            Parallel.forRanges(planes, threshold: window.planeThreshold) { range in
                for p in range {
                    let d = gx + p * inPlane, s = g + p * outPlane, a = at + p * outPlane
                    for j in 0..<outPlane { d[Int(a[j])] += s[j] }
                }
            }
        }
    }

    /// Average pooling; padded positions count as zeros in the divisor (PyTorch's default).
    public func avgPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let window = PoolingWindow(shape, kernel: kernel, stride: stride ?? kernel, padding: padding, op: "avgPool2d")
        let planes = window.planes, inPlane = window.inputPlane, outPlane = window.outputPlane
        let out = TensorStorage(count: planes * outPlane)
        let x = pointer, o = out.pointer
        Parallel.forRanges(planes, threshold: window.planeThreshold) { range in
            for p in range { window.averagePlane(x + p * inPlane, o + p * outPlane) }
        }
        return Tensor.result(shape: window.outputShape, storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            Parallel.forRanges(planes, threshold: window.planeThreshold) { range in
                for p in range { window.averagePlaneBackward(g + p * outPlane, gx + p * inPlane) }
            }
        }
    }
}

/// The sizes of a square pooling window sliding over each plane of an NCHW tensor.
struct PoolingWindow {
    let outputShape: [Int]
    let planes: Int, height: Int, width: Int
    let kernel: Int, stride: Int, padding: Int
    let outputHeight: Int, outputWidth: Int

    init(_ shape: [Int], kernel: Int, stride: Int, padding: Int, op: String) {
        precondition(shape.count == 4, "\(op) expects input [N, C, H, W], got \(shape)")
        precondition(kernel > 0 && stride > 0, "\(op) needs kernel > 0 and stride > 0")
        precondition(padding >= 0 && padding <= kernel / 2, "\(op) padding \(padding) must be at most half the kernel \(kernel)")
        height = shape[2]
        width = shape[3]
        precondition(height + 2 * padding >= kernel && width + 2 * padding >= kernel,
                     "\(op) kernel \(kernel) larger than padded input \(height)x\(width)")
        planes = shape[0] * shape[1]
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        outputHeight = (height + 2 * padding - kernel) / stride + 1
        outputWidth = (width + 2 * padding - kernel) / stride + 1
        outputShape = [shape[0], shape[1], outputHeight, outputWidth]
    }

    var inputPlane: Int { height * width }
    var outputPlane: Int { outputHeight * outputWidth }
    var planeThreshold: Int { Swift.max(1, Parallel.elementThreshold / Swift.max(inputPlane, 1)) }

    @inline(__always)
    func rows(_ oh: Int) -> Range<Int> {
        let start = oh * stride - padding
        return Swift.max(start, 0)..<Swift.min(start + kernel, height)
    }

    @inline(__always)
    func cols(_ ow: Int) -> Range<Int> {
        let start = ow * stride - padding
        return Swift.max(start, 0)..<Swift.min(start + kernel, width)
    }

    /// PyTorch's rule: a larger value or a NaN takes the window (so NaN propagates).
    @inline(__always)
    static func takes(_ v: Float, over best: Float) -> Bool { v > best || v != v }

    func maxPlane(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ at: UnsafeMutablePointer<Float>) {
        if kernel == 2 && stride == 2 && padding == 0 {
            // The common 2x2 case: no bounds to clip, and selects instead of branches, which
            // random data would mispredict half the time.
            for oh in 0..<outputHeight {
                let topIndex = 2 * oh * width, top = x + topIndex, bottom = top + width
                let yRow = y + oh * outputWidth, atRow = at + oh * outputWidth
                for ow in 0..<outputWidth {
                    let c = 2 * ow
                    var best = top[c], index = topIndex + c
                    var v = top[c + 1]
                    var take = PoolingWindow.takes(v, over: best)
                    best = take ? v : best; index = take ? topIndex + c + 1 : index
                    v = bottom[c]
                    take = PoolingWindow.takes(v, over: best)
                    best = take ? v : best; index = take ? topIndex + width + c : index
                    v = bottom[c + 1]
                    take = PoolingWindow.takes(v, over: best)
                    best = take ? v : best; index = take ? topIndex + width + c + 1 : index
                    yRow[ow] = best
                    atRow[ow] = Float(index)
                }
            }
            return
        }
        for oh in 0..<outputHeight {
            let rowRange = rows(oh)
            for ow in 0..<outputWidth {
                let colRange = cols(ow)
                var best = -Float.infinity, index = rowRange.lowerBound * width + colRange.lowerBound
                for r in rowRange {
                    for c in colRange {
                        let v = x[r * width + c]
                        let take = PoolingWindow.takes(v, over: best)
                        best = take ? v : best
                        index = take ? r * width + c : index
                    }
                }
                y[oh * outputWidth + ow] = best
                at[oh * outputWidth + ow] = Float(index)
            }
        }
    }

    func averagePlane(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(kernel * kernel)
        for oh in 0..<outputHeight {
            let rowRange = rows(oh)
            for ow in 0..<outputWidth {
                let colRange = cols(ow)
                var total: Float = 0
                for r in rowRange { for c in colRange { total += x[r * width + c] } }
                y[oh * outputWidth + ow] = total * scale
            }
        }
    }

    func averagePlaneBackward(_ g: UnsafePointer<Float>, _ gx: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(kernel * kernel)
        for oh in 0..<outputHeight {
            let rowRange = rows(oh)
            for ow in 0..<outputWidth {
                let colRange = cols(ow)
                let share = g[oh * outputWidth + ow] * scale
                for r in rowRange { for c in colRange { gx[r * width + c] += share } }
            }
        }
    }
}
