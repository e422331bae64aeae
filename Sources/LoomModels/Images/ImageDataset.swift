import LoomData
import LoomTensor

/// Images held as floats in [-1, 1], (N, C, H, W), with integer labels.
public struct ImageDataset {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let pixels: [Float]
    public let labels: [Int32]

    public var imageSize: Int { channels * height * width }

    /// The images of `set` at `indices` (all of them when nil), scaled from bytes to [-1, 1].
    public init(_ set: LabeledImages, indices: [Int]? = nil) {
        let chosen = indices ?? Array(0..<set.count)
        let size = set.rows * set.cols
        var pixels = [Float](repeating: 0, count: chosen.count * size)
        var labels = [Int32](repeating: 0, count: chosen.count)
        set.pixels.withUnsafeBufferPointer { source in
            for (i, index) in chosen.enumerated() {
                let base = index * size
                for j in 0..<size { pixels[i * size + j] = Float(source[base + j]) / 127.5 - 1 }
                labels[i] = Int32(set.labels[index])
            }
        }
        self.init(channels: 1, height: set.rows, width: set.cols, pixels: pixels, labels: labels)
    }

    public init(channels: Int, height: Int, width: Int, pixels: [Float], labels: [Int32]) {
        precondition(pixels.count == labels.count * channels * height * width, "pixels do not match the labels")
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
        self.labels = labels
    }

    /// A batch (B, C, H, W) of the images at `indices`, each mirrored left-right where
    /// `flips[i]` is true.
    public func batch(_ indices: ArraySlice<Int>, flips: [Bool]? = nil) -> (images: Tensor, labels: [Int32]) {
        let size = imageSize
        let images = Tensor(uninitializedShape: [indices.count, channels, height, width])
        var batchLabels: [Int32] = []
        batchLabels.reserveCapacity(indices.count)
        pixels.withUnsafeBufferPointer { source in
            for (i, index) in indices.enumerated() {
                let destination = images.pointer + i * size
                let start = source.baseAddress! + index * size
                if flips?[i] == true {
                    for row in 0..<(channels * height) {
                        for x in 0..<width { destination[row * width + x] = start[row * width + width - 1 - x] }
                    }
                } else {
                    destination.update(from: start, count: size)
                }
                batchLabels.append(labels[index])
            }
        }
        return (images, batchLabels)
    }
}
