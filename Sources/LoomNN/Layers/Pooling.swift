import LoomTensor

/// Max pooling over NCHW images; `stride` defaults to the kernel size, as in PyTorch.
public final class MaxPool2d: Module, Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.maxPool2d(kernel: kernelSize, stride: stride, padding: padding)
    }
}

/// Average pooling over NCHW images; padded positions count in the divisor
/// (PyTorch's `count_include_pad=True`).
public final class AvgPool2d: Module, Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    public init(_ kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.avgPool2d(kernel: kernelSize, stride: stride, padding: padding)
    }
}
