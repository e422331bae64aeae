/// Nearest-neighbour upsampling of NCHW images by an integer factor (PyTorch's
/// `interpolate(mode="nearest", scale_factor=k)`): each pixel becomes a k×k block.
extension Tensor {
    public func upsampleNearest2d(factor: Int = 2) -> Tensor {
        precondition(rank == 4, "upsampleNearest2d expects [N, C, H, W], got \(shape)")
        precondition(factor >= 1, "upsampleNearest2d needs a positive factor, got \(factor)")
        let planes = shape[0] * shape[1], height = shape[2], width = shape[3]
        let outHeight = height * factor, outWidth = width * factor
        let out = TensorStorage(count: planes * outHeight * outWidth)
        let x = pointer, y = out.pointer
        let plane = height * width, outPlane = outHeight * outWidth
        let threshold = Swift.max(1, Parallel.elementThreshold / Swift.max(outPlane, 1))
        Parallel.forRanges(planes, threshold: threshold) { range in
            for p in range {
                let source = x + p * plane, target = y + p * outPlane
                for i in 0..<height {
                    let row = target + i * factor * outWidth
                    for j in 0..<width {
                        let v = source[i * width + j]
                        for k in 0..<factor { row[j * factor + k] = v }
                    }
                    for copy in 1..<factor { (row + copy * outWidth).update(from: row, count: outWidth) }
                }
            }
        }
        return Tensor.result(shape: [shape[0], shape[1], outHeight, outWidth], storage: out, inputs: [self]) { [self] g in
            guard let gx = self.gradBuffer() else { return }
            Parallel.forRanges(planes, threshold: threshold) { range in
                for p in range {
                    let source = g + p * outPlane, target = gx + p * plane
                    for i in 0..<height {
                        for copy in 0..<factor {
                            let row = source + (i * factor + copy) * outWidth
                            for j in 0..<width {
                                var total: Float = 0
                                for k in 0..<factor { total += row[j * factor + k] }
                                target[i * width + j] += total
                            }
                        }
                    }
                }
            }
        }
    }
}
