import Foundation
import LoomCore
import LoomNN
import LoomTensor

/// The trained network and its exponential moving average, saved together in
/// model.safetensors as `model.*` and `ema.*`. Only `model` is trained; `ema` is frozen
/// and follows it, and sampling uses `ema`.
public final class DiffusionNetworks: Module {
    public let model: UNet
    public let ema: UNet

    public init(_ config: DiffusionConfig, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        model = UNet(config, using: &rng)
        var unused = RandomGenerator(seed: seed)
        ema = UNet(config, using: &unused)
        super.init()
        ExponentialMovingAverage.copy(ema, from: model)
        ema.freeze()
        ema.eval()
    }

    public var config: DiffusionConfig { model.config }

    /// The config of the checkpoint in `directory`, checked for kind and consistency.
    public static func readConfig(from directory: URL) throws -> DiffusionConfig {
        let config = try Checkpoint.readConfig(DiffusionConfig.self, from: directory)
        if let problem = config.validationError() {
            throw LoomError("\(directory.appendingPathComponent(Checkpoint.configFile).path): \(problem)")
        }
        return config
    }

    /// The networks saved in `directory`.
    public static func load(from directory: URL) throws -> DiffusionNetworks {
        let networks = DiffusionNetworks(try readConfig(from: directory), seed: 0)
        try Checkpoint.loadModel(into: networks, from: directory)
        return networks
    }
}
