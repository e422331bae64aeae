import LoomNN
import LoomTensor

/// Hyperparameters of the DCGAN pair and of its loss.
public struct GANConfig: ModelConfiguration, Equatable {
    public static let kind = "gan"
    public var channels = 1
    public var height = 28
    public var width = 28
    public var latent = 64
    /// Channels of the generator's first feature map (H/4 × W/4); the next has half as many.
    public var generatorChannels = 64
    /// Channels of the discriminator's first convolution; the second has twice as many.
    public var discriminatorChannels = 32
    /// One-sided label smoothing: the discriminator's target for real images is 1 - this.
    public var labelSmoothing: Float = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case channels, height, width, latent
        case generatorChannels = "generator_channels", discriminatorChannels = "discriminator_channels"
        case labelSmoothing = "label_smoothing"
    }
}

/// The generator: a code (B, latent) to an image (B, C, H, W) in [-1, 1]. Widths are the
/// defaults (`generatorChannels` 64, `discriminatorChannels` 32), small enough for CPU training.
///
///     linear → batch norm → ReLU               (B, 64·H/4·W/4) seen as (B, 64, H/4, W/4)
///     deconv 4×4/2 → batch norm → ReLU          (B, 32, H/2, W/2)
///     deconv 4×4/2 → tanh                        (B, C, H, W)
public final class DCGANGenerator: Module, Layer {
    public let config: GANConfig
    let project: Linear
    let projectNorm: BatchNorm1d
    let deconv1: ConvTranspose2d
    let norm1: BatchNorm2d
    let deconv2: ConvTranspose2d

    override public var propertyNames: [String: String] { ["projectNorm": "project_norm"] }

    public init(_ config: GANConfig, using rng: inout RandomGenerator) {
        self.config = config
        let base = config.generatorChannels
        project = Linear(config.latent, base * (config.height / 4) * (config.width / 4), bias: false, using: &rng)
        projectNorm = BatchNorm1d(base * (config.height / 4) * (config.width / 4))
        deconv1 = ConvTranspose2d(base, base / 2, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng)
        norm1 = BatchNorm2d(base / 2)
        deconv2 = ConvTranspose2d(base / 2, config.channels, kernelSize: 4, stride: 2, padding: 1, using: &rng)
    }

    public func callAsFunction(_ z: Tensor) -> Tensor {
        let h = projectNorm(project(z)).relu()
        let grid = h.reshaped([z.shape[0], config.generatorChannels, config.height / 4, config.width / 4])
        return deconv2(norm1(deconv1(grid)).relu()).tanh()
    }
}

/// The discriminator: an image (B, C, H, W) to one logit per image (B, 1), high for real.
///
///     conv 4×4/2 → leaky ReLU 0.2                (B, 32, H/2, W/2)
///     conv 4×4/2 → batch norm → leaky ReLU 0.2   (B, 64, H/4, W/4)
///     linear                                      (B, 1)
public final class DCGANDiscriminator: Module, Layer {
    public let config: GANConfig
    let conv1: Conv2d
    let conv2: Conv2d
    let norm2: BatchNorm2d
    let classify: Linear

    public init(_ config: GANConfig, using rng: inout RandomGenerator) {
        self.config = config
        let base = config.discriminatorChannels
        conv1 = Conv2d(config.channels, base, kernelSize: 4, stride: 2, padding: 1, using: &rng)
        conv2 = Conv2d(base, base * 2, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng)
        norm2 = BatchNorm2d(base * 2)
        classify = Linear(base * 2 * (config.height / 4) * (config.width / 4), 1, using: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let h = conv1(x).leakyRelu(slope: 0.2)
        let g = norm2(conv2(h)).leakyRelu(slope: 0.2)
        return classify(g.flattened(from: 1))
    }
}

/// Both networks under one root, so one model.safetensors names them `generator.*` and
/// `discriminator.*`.
public final class GANPair: Module {
    public let config: GANConfig
    public let generator: DCGANGenerator
    public let discriminator: DCGANDiscriminator

    public init(_ config: GANConfig, using rng: inout RandomGenerator) {
        precondition(config.height % 4 == 0 && config.width % 4 == 0, "DCGAN images need sides divisible by 4")
        precondition(config.generatorChannels % 2 == 0, "the generator's channels must be even")
        self.config = config
        generator = DCGANGenerator(config, using: &rng)
        discriminator = DCGANDiscriminator(config, using: &rng)
        super.init()
        initializeAsDCGAN(using: &rng)
    }

    /// The DCGAN paper's initialization: weights of convolutions and linear maps from
    /// N(0, 0.02), batch-norm scales from N(1, 0.02), batch-norm shifts and biases zero.
    func initializeAsDCGAN(using rng: inout RandomGenerator) {
        for (name, parameter) in namedParameters() where parameter.kind == .weight {
            let isNorm = name.contains("norm")
            let isBias = name.hasSuffix(".bias")
            var values = [Float](repeating: 0, count: parameter.count)
            if !isBias {
                values.withUnsafeMutableBufferPointer {
                    rng.fillNormal($0.baseAddress!, count: parameter.count, mean: isNorm ? 1 : 0, std: 0.02)
                }
            }
            values.withUnsafeBufferPointer { parameter.assign($0.baseAddress!) }
        }
    }
}
