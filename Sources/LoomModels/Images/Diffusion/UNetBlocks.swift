import LoomNN
import LoomTensor

/// A residual block of the diffusion U-Net (DDPM's ResnetBlock without dropout):
///
///     h = conv1(silu(norm1(x))) + time(silu(embedding))   per channel
///     y = skip(x) + conv2(silu(norm2(h)))
///
/// `skip` is a 1×1 convolution when the channel count changes. conv2 starts at zero, so a
/// fresh block is the identity and the deep network trains stably from the start.
public final class ResidualBlock: Module {
    let norm1: GroupNorm
    let conv1: Conv2d
    let time: Linear
    let norm2: GroupNorm
    let conv2: Conv2d
    let skip: Conv2d?

    public init(_ inChannels: Int, _ outChannels: Int, timeDimension: Int, groups: Int, using rng: inout RandomGenerator) {
        norm1 = GroupNorm(groups: groups, channels: inChannels)
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, using: &rng)
        time = Linear(timeDimension, outChannels, using: &rng)
        norm2 = GroupNorm(groups: groups, channels: outChannels)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, using: &rng)
        conv2.zeroInitialize()
        skip = inChannels == outChannels ? nil : Conv2d(inChannels, outChannels, kernelSize: 1, using: &rng)
    }

    /// `activatedTime` is silu(time embedding), shared by every block.
    public func callAsFunction(_ x: Tensor, activatedTime: Tensor) -> Tensor {
        let batch = x.shape[0]
        var h = conv1(norm1.siluActivated(x))
        h = h + time(activatedTime).reshaped([batch, conv1.outChannels, 1, 1])
        h = conv2(norm2.siluActivated(h))
        return (skip.map { $0(x) } ?? x) + h
    }
}

/// Single-head self-attention over the pixels of a feature map, with a residual:
/// y = x + proj(attention(qkv(norm(x)))), softmax(qᵀk/√C) over the H·W positions. The
/// projection starts at zero, so a fresh block is the identity.
public final class AttentionBlock: Module {
    let norm: GroupNorm
    let qkv: Conv2d
    let proj: Conv2d

    public init(_ channels: Int, groups: Int, using rng: inout RandomGenerator) {
        norm = GroupNorm(groups: groups, channels: channels)
        qkv = Conv2d(channels, 3 * channels, kernelSize: 1, using: &rng)
        proj = Conv2d(channels, channels, kernelSize: 1, using: &rng)
        proj.zeroInitialize()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let batch = x.shape[0], channels = x.shape[1], positions = x.shape[2] * x.shape[3]
        let projected = qkv(norm(x)).reshaped([batch, 3 * channels, positions])
        let q = projected.slice(axis: 1, 0..<channels)
        let k = projected.slice(axis: 1, channels..<(2 * channels))
        let v = projected.slice(axis: 1, (2 * channels)..<(3 * channels))
        // weights[b, i, j] = softmax_j(q[:, i]·k[:, j] / √C); out[b, c, i] = Σ_j v[c, j]·weights[i, j].
        let scores = Tensor.matmul(q, k, transposeA: true) * (1 / Float(channels).squareRoot())
        let attended = Tensor.matmul(v, scores.softmax(), transposeB: true)
        return x + proj(attended.reshaped(x.shape))
    }
}

extension Conv2d {
    /// Sets weight and bias to zero (DDPM's `zero_module`).
    func zeroInitialize() {
        weight.value.storage.zero()
        bias?.value.storage.zero()
    }
}
