import LoomNN
import LoomTensor

/// The ε-predicting U-Net of a diffusion model, a small DDPM-style network:
///
///     input conv → per level: residual block (kept for a skip), stride-2 conv down
///     middle: residual, self-attention (optional), residual at the lowest resolution
///     per level, coarsest first: concat skip, residual block, nearest 2× up and conv
///     group norm, SiLU, output conv (zero at the start)
///
/// For 28×28 images and multipliers (1, 2, 2) the resolutions are 28, 14 and 7. The
/// timestep enters through a sinusoidal embedding and a two-layer MLP, added per channel
/// in every residual block; a class label (conditional models) adds its own embedding.
public final class UNet: Module {
    public let config: DiffusionConfig
    let timeInput: Linear
    let timeOutput: Linear
    let labelEmbedding: Embedding?
    let inputConv: Conv2d
    let down: [ResidualBlock]
    let downsample: [Conv2d]
    let middle1: ResidualBlock
    let middleAttention: AttentionBlock?
    let middle2: ResidualBlock
    let up: [ResidualBlock]
    let upsample: [Conv2d]
    let outputNorm: GroupNorm
    let outputConv: Conv2d

    public init(_ config: DiffusionConfig, using rng: inout RandomGenerator) {
        precondition(config.validationError() == nil, config.validationError() ?? "")
        self.config = config
        let timeDimension = config.timeEmbeddingDimension, groups = config.groups
        let widths = config.channelMultipliers.map { $0 * config.baseChannels }
        timeInput = Linear(config.baseChannels, timeDimension, using: &rng)
        timeOutput = Linear(timeDimension, timeDimension, using: &rng)
        labelEmbedding = config.classes > 0 ? Embedding(config.classes + 1, timeDimension, using: &rng) : nil
        inputConv = Conv2d(config.imageChannels, config.baseChannels, kernelSize: 3, padding: 1, using: &rng)
        var down: [ResidualBlock] = [], downsample: [Conv2d] = []
        var channels = config.baseChannels
        for (level, width) in widths.enumerated() {
            down.append(ResidualBlock(channels, width, timeDimension: timeDimension, groups: groups, using: &rng))
            channels = width
            if level < widths.count - 1 {
                downsample.append(Conv2d(width, width, kernelSize: 3, stride: 2, padding: 1, using: &rng))
            }
        }
        self.down = down
        self.downsample = downsample
        middle1 = ResidualBlock(channels, channels, timeDimension: timeDimension, groups: groups, using: &rng)
        middleAttention = config.attention ? AttentionBlock(channels, groups: groups, using: &rng) : nil
        middle2 = ResidualBlock(channels, channels, timeDimension: timeDimension, groups: groups, using: &rng)
        var up: [ResidualBlock] = [], upsample: [Conv2d] = []
        for (level, width) in widths.enumerated().reversed() {
            up.append(ResidualBlock(channels + width, width, timeDimension: timeDimension, groups: groups, using: &rng))
            channels = width
            if level > 0 {
                upsample.append(Conv2d(width, width, kernelSize: 3, padding: 1, using: &rng))
            }
        }
        self.up = up
        self.upsample = upsample
        outputNorm = GroupNorm(groups: groups, channels: channels)
        outputConv = Conv2d(channels, config.imageChannels, kernelSize: 3, padding: 1, using: &rng)
        outputConv.zeroInitialize()
    }

    /// The predicted noise for images `x` (B, C, H, W) at `timesteps` (one per image);
    /// `labels` (conditional models only) may hold the null label `config.classes`.
    public func callAsFunction(_ x: Tensor, timesteps: [Float], labels: [Int32]? = nil) -> Tensor {
        precondition(x.rank == 4 && x.shape[0] == timesteps.count, "UNet: \(timesteps.count) timesteps for images \(x.shape)")
        var embedding = timeOutput(timeInput(SinusoidalTimeEmbedding.embed(timesteps, dimension: config.baseChannels)).silu())
        if let labelEmbedding {
            let labels = labels ?? [Int32](repeating: Int32(config.classes), count: timesteps.count)
            precondition(labels.count == timesteps.count, "UNet: \(labels.count) labels for \(timesteps.count) images")
            embedding = embedding + labelEmbedding(labels)
        }
        let activated = embedding.silu()
        var h = inputConv(x)
        var skips: [Tensor] = []
        for (level, block) in down.enumerated() {
            h = block(h, activatedTime: activated)
            skips.append(h)
            if level < downsample.count { h = downsample[level](h) }
        }
        h = middle1(h, activatedTime: activated)
        if let middleAttention { h = middleAttention(h) }
        h = middle2(h, activatedTime: activated)
        for (index, block) in up.enumerated() {
            h = block(Tensor.concat([h, skips.removeLast()], axis: 1), activatedTime: activated)
            if index < upsample.count { h = upsample[index].upsampled(h) }
        }
        return outputConv(outputNorm.siluActivated(h))
    }
}
