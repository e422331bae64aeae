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
    /// The adversarial loss; with `.wassersteinGradientPenalty` the discriminator is a critic
    /// without batch norm.
    public var loss = GANLoss.nonSaturating
    /// WGAN-GP: the weight λ of the gradient penalty.
    public var gradientPenaltyWeight: Float = 10
    /// WGAN-GP: critic updates per generator update.
    public var criticSteps = 5

    public init() {}

    enum CodingKeys: String, CodingKey {
        case channels, height, width, latent
        case generatorChannels = "generator_channels", discriminatorChannels = "discriminator_channels"
        case labelSmoothing = "label_smoothing"
        case loss, gradientPenaltyWeight = "gp_weight", criticSteps = "critic_steps"
    }

    /// Configs written before the loss was a choice lack its keys; they are non-saturating.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channels = try c.decode(Int.self, forKey: .channels)
        height = try c.decode(Int.self, forKey: .height)
        width = try c.decode(Int.self, forKey: .width)
        latent = try c.decode(Int.self, forKey: .latent)
        generatorChannels = try c.decode(Int.self, forKey: .generatorChannels)
        discriminatorChannels = try c.decode(Int.self, forKey: .discriminatorChannels)
        labelSmoothing = try c.decode(Float.self, forKey: .labelSmoothing)
        loss = try c.decodeIfPresent(GANLoss.self, forKey: .loss) ?? .nonSaturating
        gradientPenaltyWeight = try c.decodeIfPresent(Float.self, forKey: .gradientPenaltyWeight) ?? 10
        criticSteps = try c.decodeIfPresent(Int.self, forKey: .criticSteps) ?? 5
        guard gradientPenaltyWeight >= 0, gradientPenaltyWeight.isFinite, criticSteps > 0 else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription:
                "gp_weight must be finite and not negative, critic_steps positive; got \(gradientPenaltyWeight), \(criticSteps)"))
        }
    }

    /// A non-saturating config is written with exactly the keys it always had.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(channels, forKey: .channels)
        try c.encode(height, forKey: .height)
        try c.encode(width, forKey: .width)
        try c.encode(latent, forKey: .latent)
        try c.encode(generatorChannels, forKey: .generatorChannels)
        try c.encode(discriminatorChannels, forKey: .discriminatorChannels)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        if loss != .nonSaturating {
            try c.encode(loss, forKey: .loss)
            try c.encode(gradientPenaltyWeight, forKey: .gradientPenaltyWeight)
            try c.encode(criticSteps, forKey: .criticSteps)
        }
    }
}

/// The adversarial objective a `GANTrainer` optimizes.
public enum GANLoss: String, Codable, CaseIterable, Sendable {
    /// DCGAN's: binary cross-entropy, the generator maximizing log D(G(z)).
    case nonSaturating = "non-saturating"
    /// Wasserstein distance estimated by a critic kept near 1-Lipschitz by a gradient
    /// penalty (Gulrajani et al. 2017).
    case wassersteinGradientPenalty = "wgan-gp"
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
///
/// For the WGAN-GP loss it is a critic: the second convolution has a bias and no batch norm,
/// since the penalty constrains each image's gradient on its own, and batch norm would make
/// an image's score depend on the rest of its batch. The critic is then piecewise linear in
/// its input, which `GradientPenalty.swift` relies on.
public final class DCGANDiscriminator: Module, Layer {
    public let config: GANConfig
    let conv1: Conv2d
    let conv2: Conv2d
    let norm2: BatchNorm2d?
    let classify: Linear
    static let slope: Float = 0.2

    public init(_ config: GANConfig, using rng: inout RandomGenerator) {
        self.config = config
        let base = config.discriminatorChannels
        let normalized = config.loss == .nonSaturating
        conv1 = Conv2d(config.channels, base, kernelSize: 4, stride: 2, padding: 1, using: &rng)
        conv2 = Conv2d(base, base * 2, kernelSize: 4, stride: 2, padding: 1, bias: !normalized, using: &rng)
        norm2 = normalized ? BatchNorm2d(base * 2) : nil
        classify = Linear(base * 2 * (config.height / 4) * (config.width / 4), 1, using: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let h = conv1(x).leakyRelu(slope: Self.slope)
        let features = conv2(h)
        let g = (norm2.map { $0(features) } ?? features).leakyRelu(slope: Self.slope)
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
    /// A WGAN-GP critic keeps the layers' own (PyTorch default) initialization: with weights
    /// of scale 0.02 and no batch norm its input gradients start near zero, far from the
    /// norm 1 the penalty asks for.
    func initializeAsDCGAN(using rng: inout RandomGenerator) {
        let critic = config.loss == .wassersteinGradientPenalty
        for (name, parameter) in namedParameters() where parameter.kind == .weight {
            if critic && name.hasPrefix("discriminator.") { continue }
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
