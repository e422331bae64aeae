import Foundation
import LoomCore
import LoomNN
import LoomTensor

/// Trains a `VAE` with Adam on the negative evidence bound, the KL term weighted by β
/// after a linear warm-up. Batches and noise come from an `ImageBatchSchedule`, so a
/// resumed run replays the uninterrupted one exactly.
///
/// Model settings read from `ImageGeneratorOptions.settings`: "beta", "kl_warmup" (steps),
/// "latent" (code size). A resumed run keeps the values saved in its config.json.
public final class VAETrainer: ImageGeneratorTraining {
    public static let kind = VAEConfig.kind
    public static let settingNames: Set<String> = ["beta", "kl_warmup", "latent"]
    public let model: VAE
    public let options: ImageGeneratorOptions
    let optimizer: Adam
    var schedule: ImageBatchSchedule
    public private(set) var step = 0

    public init(train: ImageDataset, options: ImageGeneratorOptions) {
        var config = VAEConfig()
        config.channels = train.channels
        config.height = train.height
        config.width = train.width
        if let beta = options.settings["beta"] { config.beta = beta }
        if let warmup = options.settings["kl_warmup"] { config.klWarmupSteps = Int(warmup) }
        if let latent = options.settings["latent"] { config.latent = Int(latent) }
        var rng = RandomGenerator(seed: options.seed)
        model = VAE(config, using: &rng)
        self.options = options
        optimizer = Adam(model, learningRate: options.learningRate)
        schedule = ImageBatchSchedule(data: train, batchSize: options.batchSize, seed: options.seed, flips: options.flips)
    }

    init(model: VAE, train: ImageDataset, options: ImageGeneratorOptions) {
        self.model = model
        self.options = options
        optimizer = Adam(model, learningRate: options.learningRate)
        schedule = ImageBatchSchedule(data: train, batchSize: options.batchSize, seed: options.seed, flips: options.flips)
    }

    public static func resume(from directory: URL, train: ImageDataset, options: ImageGeneratorOptions) throws -> VAETrainer {
        let config = try Checkpoint.readConfig(VAEConfig.self, from: directory)
        try checkShape(config.channels, config.height, config.width, of: train, checkpoint: directory)
        var rng = RandomGenerator(seed: options.seed)
        let trainer = VAETrainer(model: VAE(config, using: &rng), train: train, options: options)
        try Checkpoint.loadModel(into: trainer.model, from: directory)
        try Checkpoint.loadOptimizer(trainer.optimizer, from: directory)
        trainer.step = try Checkpoint.readTrainerState(from: directory).step
        return trainer
    }

    /// One optimizer step on the batch of step `step`; returns the batch's loss terms.
    @discardableResult
    public func trainStep() -> (total: Float, reconstruction: Float, kl: Float) {
        let images = schedule.images(step: step)
        var noise = schedule.noise(step: step)
        let (total, reconstruction, kl) = model.losses(images, klWeight: model.config.klWeight(step: step), using: &noise)
        optimizer.zeroGrad()
        total.backward()
        optimizer.step()
        step += 1
        return (total.item, reconstruction.item, kl.item)
    }

    public func run(saveTo directory: URL, shouldStop: () -> Bool, report: (ImageGeneratorEvent) -> Void) throws {
        model.train()
        try runGeneratorSteps(options: options, directory: directory, step: { step }, shouldStop: shouldStop,
                              report: report, save: save(to:)) {
            let losses = trainStep()
            return (losses.total, [("loss", losses.total), ("recon", losses.reconstruction), ("kl", losses.kl)])
        }
    }

    public func save(to directory: URL) throws {
        var state = TrainerState(step: step)
        state.notes["learning_rate"] = String(options.learningRate)
        try Checkpoint.save(module: model, config: model.config, to: directory, optimizer: optimizer, trainerState: state)
    }
}
