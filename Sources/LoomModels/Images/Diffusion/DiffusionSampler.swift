import Foundation
import LoomCore
import LoomTensor

/// A trained diffusion model loaded for sampling: the EMA network and its schedule.
/// `sample(count:steps:seed:)` runs DDIM with the config's η and, by default, its
/// `samplingSteps`; a conditional model cycles through the classes with guidance.
public struct DiffusionSampler: ImageGeneratorSampler {
    public static let kind = DiffusionConfig.kind
    public let networks: DiffusionNetworks
    public var sampling: DiffusionSampling
    /// Images per network call; batches are drawn one after another from the same generator.
    public var batchSize = 100

    public init(networks: DiffusionNetworks) {
        self.networks = networks
        sampling = DiffusionSampling(model: networks.ema, schedule: NoiseSchedule(networks.config))
    }

    public static func load(from directory: URL) throws -> DiffusionSampler {
        DiffusionSampler(networks: try DiffusionNetworks.load(from: directory))
    }

    public var config: DiffusionConfig { networks.config }

    public func sample(count: Int, steps: Int?, seed: UInt64) throws -> Tensor {
        try sample(count: count, steps: steps, eta: config.eta, seed: seed)
    }

    /// DDIM over `steps` (default: the config's), or DDPM's ancestral sampler when
    /// `ancestral` is set (all T steps; `steps` is then ignored).
    public func sample(count: Int, steps: Int?, eta: Float, ancestral: Bool = false, seed: UInt64) throws -> Tensor {
        guard count >= 1 else { throw LoomError("sample count must be at least 1, got \(count)") }
        let steps = steps ?? config.samplingSteps
        guard ancestral || (steps >= 1 && steps <= config.timesteps) else {
            throw LoomError("diffusion sampling steps must lie in 1...\(config.timesteps), got \(steps)")
        }
        var generator = RandomGenerator(seed: seed)
        var parts: [Tensor] = []
        var start = 0
        while start < count {
            let n = Swift.min(batchSize, count - start)
            let labels = config.classes > 0 ? (start..<(start + n)).map { Int32($0 % config.classes) } : nil
            let guidance = config.classes > 0 ? config.guidanceScale : 1
            parts.append(ancestral
                ? sampling.ddpm(count: n, generator: &generator, labels: labels, guidance: guidance)
                : sampling.ddim(count: n, steps: steps, eta: eta, generator: &generator, labels: labels, guidance: guidance))
            start += n
        }
        return parts.count == 1 ? parts[0] : Tensor.concat(parts, axis: 0)
    }
}
