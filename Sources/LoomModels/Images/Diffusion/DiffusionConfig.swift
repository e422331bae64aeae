import LoomNN

/// The hyperparameters of a diffusion model: the U-Net's shape, the noise schedule and the
/// sampler's defaults. Saved as config.json with `kind` "diffusion".
public struct DiffusionConfig: ModelConfiguration, Equatable {
    public static let kind = "diffusion"

    public var imageChannels = 1
    public var imageHeight = 28
    public var imageWidth = 28
    /// Channels at full resolution; level i has `baseChannels · channelMultipliers[i]`.
    public var baseChannels = 32
    /// One entry per resolution; every level but the last halves height and width.
    public var channelMultipliers = [1, 2, 2]
    public var groups = 8
    /// A self-attention block in the middle, at the lowest resolution.
    public var attention = true
    /// 0 for an unconditional model; otherwise labels 0..<classes, and `classes` is the null
    /// label used for classifier-free guidance.
    public var classes = 0
    /// How often training replaces the label by the null label (classifier-free guidance).
    public var labelDropout: Float = 0.1
    /// ε = ε(∅) + scale·(ε(y) - ε(∅)) when sampling a conditional model.
    public var guidanceScale: Float = 2
    public var timesteps = 1000
    public var schedule = NoiseSchedule.Kind.linear
    public var betaStart: Float = 1e-4
    public var betaEnd: Float = 0.02
    public var emaDecay: Float = 0.999
    /// The default sampler for `sample(count:steps:seed:)`: DDIM with this many steps and η.
    public var samplingSteps = 50
    public var eta: Float = 0
    /// Steps of linear learning-rate warm-up at the start of training.
    public var warmupSteps = 200
    public var gradientClip: Float = 1

    public init() {}

    public var timeEmbeddingDimension: Int { baseChannels * 4 }

    /// The structural problems a config read from disk might have, as a message.
    func validationError() -> String? {
        if imageChannels < 1 || imageHeight < 1 || imageWidth < 1 { return "image shape must be positive" }
        if baseChannels < 1 || channelMultipliers.isEmpty || channelMultipliers.contains(where: { $0 < 1 }) {
            return "baseChannels and channelMultipliers must be positive"
        }
        let divisor = 1 << (channelMultipliers.count - 1)
        if imageHeight % divisor != 0 || imageWidth % divisor != 0 {
            return "image size \(imageHeight)×\(imageWidth) does not halve \(channelMultipliers.count - 1) times"
        }
        for m in channelMultipliers where (baseChannels * m) % groups != 0 {
            return "\(baseChannels * m) channels do not split into \(groups) groups"
        }
        if timesteps < 2 { return "timesteps must be at least 2" }
        if classes < 0 { return "classes must not be negative" }
        if !(emaDecay >= 0 && emaDecay < 1) { return "emaDecay must lie in [0, 1)" }
        return nil
    }
}

extension DiffusionConfig {
    enum CodingKeys: String, CodingKey {
        case imageChannels = "image_channels", imageHeight = "image_height", imageWidth = "image_width"
        case baseChannels = "base_channels", channelMultipliers = "channel_multipliers", groups, attention
        case classes, labelDropout = "label_dropout", guidanceScale = "guidance_scale"
        case timesteps, schedule, betaStart = "beta_start", betaEnd = "beta_end", emaDecay = "ema_decay"
        case samplingSteps = "sampling_steps", eta, warmupSteps = "warmup_steps", gradientClip = "gradient_clip"
    }
}
