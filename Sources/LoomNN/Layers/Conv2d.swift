import LoomTensor

/// 2-D convolution over NCHW images, with PyTorch's weight layout `[out, in, k, k]` and
/// initialization: kaiming-uniform with a = √5, which bounds the weights by 1/√fan_in,
/// and a bias uniform in ±1/√fan_in, where fan_in = in·k·k.
public final class Conv2d: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true, using rng: inout RandomGenerator) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0, "Conv2d needs positive channels and kernel size")
        let bound = 1 / Float(inChannels * kernelSize * kernelSize).squareRoot()
        weight = Parameter(.randomUniform([outChannels, inChannels, kernelSize, kernelSize], low: -bound, high: bound, using: &rng))
        self.bias = bias ? Parameter(.randomUniform([outChannels], low: -bound, high: bound, using: &rng)) : nil
        self.stride = stride
        self.padding = padding
    }

    public var inChannels: Int { weight.shape[1] }
    public var outChannels: Int { weight.shape[0] }
    public var kernelSize: Int { weight.shape[2] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.conv2d(x, weight: weight.tensor, bias: bias?.tensor, stride: stride, padding: padding)
    }

    /// This convolution of `x` upsampled 2× by nearest neighbour, `self(x.upsampleNearest2d(factor: 2))`,
    /// without building the upsampled image when the kernel is 3×3 with padding 1 and stride 1.
    public func upsampled(_ x: Tensor) -> Tensor {
        guard kernelSize == 3 && padding == 1 && stride == 1 && weight.shape[3] == 3 else {
            return self(x.upsampleNearest2d(factor: 2))
        }
        return Tensor.upsampledConv2d(x, weight: weight.tensor, bias: bias?.tensor)
    }
}
