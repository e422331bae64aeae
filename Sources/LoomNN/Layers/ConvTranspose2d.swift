import LoomTensor

/// Transposed 2-D convolution (the upsampling layer of decoders and generators), with
/// PyTorch's weight layout `[in, out, k, k]` and initialization: weight and bias uniform in
/// ±1/√fan_in, where PyTorch computes fan_in from the weight's second dimension: out·k·k.
public final class ConvTranspose2d: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0, bias: Bool = true, using rng: inout RandomGenerator) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0, "ConvTranspose2d needs positive channels and kernel size")
        precondition(outputPadding >= 0 && outputPadding < stride, "ConvTranspose2d output padding must lie in 0..<stride")
        let bound = 1 / Float(outChannels * kernelSize * kernelSize).squareRoot()
        weight = Parameter(.randomUniform([inChannels, outChannels, kernelSize, kernelSize], low: -bound, high: bound, using: &rng))
        self.bias = bias ? Parameter(.randomUniform([outChannels], low: -bound, high: bound, using: &rng)) : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    public var inChannels: Int { weight.shape[0] }
    public var outChannels: Int { weight.shape[1] }
    public var kernelSize: Int { weight.shape[2] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.convTranspose2d(x, weight: weight.tensor, bias: bias?.tensor, stride: stride, padding: padding,
                               outputPadding: outputPadding)
    }
}
