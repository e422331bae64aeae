import LoomNN
import LoomTensor

/// Hyperparameters of the convolutional VAE, and the weight of its KL term.
public struct VAEConfig: ModelConfiguration, Equatable {
    public static let kind = "vae"
    public var channels = 1
    public var height = 28
    public var width = 28
    public var latent = 16
    public var conv1Channels = 32
    public var conv2Channels = 64
    public var hidden = 256
    /// Weight of the KL term once warm-up is over (β-VAE; 1 is the plain evidence bound).
    public var beta: Float = 1
    /// Steps over which the KL weight rises linearly from 0 to β, so the decoder learns to
    /// use the code before the prior pulls the code towards noise.
    public var klWarmupSteps = 2000

    public init() {}

    enum CodingKeys: String, CodingKey {
        case channels, height, width, latent, hidden, beta
        case conv1Channels = "conv1_channels", conv2Channels = "conv2_channels", klWarmupSteps = "kl_warmup_steps"
    }

    /// The KL weight at training step `step` (counted from 0).
    public func klWeight(step: Int) -> Float {
        klWarmupSteps <= 0 ? beta : beta * min(1, Float(step + 1) / Float(klWarmupSteps))
    }
}

/// A variational autoencoder for small grey images:
///
///     encoder: conv 4×4/2 → ReLU → conv 4×4/2 → ReLU → linear → ReLU → (mean, log-variance)
///     decoder: linear → ReLU → linear → ReLU → deconv 4×4/2 → ReLU → deconv 4×4/2 → logits
///
/// Pixels are modelled as Bernoulli probabilities of the image rescaled to [0, 1], so the
/// decoder's output is a logit per pixel and a sample is sigmoid(logit) mapped back to [-1, 1].
public final class VAE: Module {
    public let config: VAEConfig
    let encoderConv1: Conv2d
    let encoderConv2: Conv2d
    let encoderHidden: Linear
    let encoderMean: Linear
    let encoderLogVariance: Linear
    let decoderHidden: Linear
    let decoderExpand: Linear
    let decoderDeconv1: ConvTranspose2d
    let decoderDeconv2: ConvTranspose2d

    override public var propertyNames: [String: String] {
        ["encoderConv1": "encoder.conv1", "encoderConv2": "encoder.conv2", "encoderHidden": "encoder.hidden",
         "encoderMean": "encoder.mean", "encoderLogVariance": "encoder.log_variance",
         "decoderHidden": "decoder.hidden", "decoderExpand": "decoder.expand",
         "decoderDeconv1": "decoder.deconv1", "decoderDeconv2": "decoder.deconv2"]
    }

    public init(_ config: VAEConfig, using rng: inout RandomGenerator) {
        precondition(config.height % 4 == 0 && config.width % 4 == 0, "VAE images need sides divisible by 4")
        self.config = config
        let flat = config.conv2Channels * (config.height / 4) * (config.width / 4)
        encoderConv1 = Conv2d(config.channels, config.conv1Channels, kernelSize: 4, stride: 2, padding: 1, using: &rng)
        encoderConv2 = Conv2d(config.conv1Channels, config.conv2Channels, kernelSize: 4, stride: 2, padding: 1, using: &rng)
        encoderHidden = Linear(flat, config.hidden, using: &rng)
        encoderMean = Linear(config.hidden, config.latent, using: &rng)
        encoderLogVariance = Linear(config.hidden, config.latent, using: &rng)
        decoderHidden = Linear(config.latent, config.hidden, using: &rng)
        decoderExpand = Linear(config.hidden, flat, using: &rng)
        decoderDeconv1 = ConvTranspose2d(config.conv2Channels, config.conv1Channels, kernelSize: 4, stride: 2, padding: 1, using: &rng)
        decoderDeconv2 = ConvTranspose2d(config.conv1Channels, config.channels, kernelSize: 4, stride: 2, padding: 1, using: &rng)
    }

    /// The posterior's mean and log-variance, each (B, latent), for images (B, C, H, W) in [-1, 1].
    public func encode(_ x: Tensor) -> (mean: Tensor, logVariance: Tensor) {
        var h = encoderConv1(x).relu()                    // (B, 32, H/2, W/2)
        h = encoderConv2(h).relu()                        // (B, 64, H/4, W/4)
        h = encoderHidden(h.flattened(from: 1)).relu()    // (B, hidden)
        return (encoderMean(h), encoderLogVariance(h))
    }

    /// Pixel logits (B, C, H, W) for codes (B, latent).
    public func decodeLogits(_ z: Tensor) -> Tensor {
        let h = decoderExpand(decoderHidden(z).relu()).relu()
        let grid = h.reshaped([z.shape[0], config.conv2Channels, config.height / 4, config.width / 4])
        return decoderDeconv2(decoderDeconv1(grid).relu())
    }

    /// Images (B, C, H, W) in [-1, 1] for codes (B, latent): the decoder's pixel means.
    public func decode(_ z: Tensor) -> Tensor {
        decodeLogits(z).sigmoid() * 2 - 1
    }

    /// z = mean + σ·ε with ε ~ N(0, 1) drawn from `rng`: the reparameterization that lets
    /// gradients reach the encoder through the sampling.
    public static func reparameterize(mean: Tensor, logVariance: Tensor, using rng: inout RandomGenerator) -> Tensor {
        let epsilon = Tensor.randomNormal(mean.shape, using: &rng)
        return mean + (logVariance * 0.5).exp() * epsilon
    }

    /// The terms of the negative evidence bound for a batch, each averaged over the batch:
    /// reconstruction = Σ over pixels of the Bernoulli cross-entropy, kl = KL(q(z|x) ‖ N(0, I)).
    public func losses(_ x: Tensor, klWeight: Float, using rng: inout RandomGenerator)
        -> (total: Tensor, reconstruction: Tensor, kl: Tensor) {
        let (mean, logVariance) = encode(x)
        let z = VAE.reparameterize(mean: mean, logVariance: logVariance, using: &rng)
        let logits = decodeLogits(z)
        let target = (x.detached() + 1) * 0.5
        let perImage = Float(x.count / max(x.shape[0], 1))
        let reconstruction = logits.binaryCrossEntropyWithLogits(targets: target) * perImage
        let kl = Loss.gaussianKL(mean: mean, logVariance: logVariance)
        return (reconstruction + kl * klWeight, reconstruction, kl)
    }
}
