import Foundation
import LoomCore
import LoomNN
import LoomTensor

/// Trains a DDPM (Ho et al. 2020): each step takes a batch of images x₀, a uniform step t
/// and noise ε per image, and minimizes the mean squared error between ε and the U-Net's
/// prediction from x_t = √ᾱ_t·x₀ + √(1-ᾱ_t)·ε. Adam with a linear warm-up, gradient-norm
/// clipping, and an EMA copy updated after every step.
///
/// Every random choice (images, flips, t, ε, dropped labels) comes from one generator
/// kept in trainer.json, so a resumed run continues exactly as an uninterrupted one.
public final class DiffusionTrainer: ImageGeneratorTraining {
    public static let kind = DiffusionConfig.kind
    /// Model settings read from `ImageGeneratorOptions.settings`: "channels", the U-Net's
    /// channels at full resolution (a multiple of its 8 groups).
    public static let settingNames: Set<String> = ["channels"]

    public let networks: DiffusionNetworks
    public let schedule: NoiseSchedule
    public let options: ImageGeneratorOptions
    let train: ImageDataset
    let optimizer: Adam
    var state: TrainerState

    public var step: Int { state.step }
    public var config: DiffusionConfig { networks.config }

    public convenience init(train: ImageDataset, options: ImageGeneratorOptions) {
        var config = DiffusionConfig()
        config.imageChannels = train.channels
        config.imageHeight = train.height
        config.imageWidth = train.width
        if let channels = options.settings["channels"] { config.baseChannels = Int(channels) }
        self.init(config: config, train: train, options: options)
    }

    public init(config: DiffusionConfig, train: ImageDataset, options: ImageGeneratorOptions) {
        precondition(config.validationError() == nil, config.validationError() ?? "")
        precondition(train.channels == config.imageChannels && train.height == config.imageHeight && train.width == config.imageWidth,
                     "images \(train.channels)×\(train.height)×\(train.width) do not fit the model's \(config.imageChannels)×\(config.imageHeight)×\(config.imageWidth)")
        networks = DiffusionNetworks(config, seed: options.seed)
        schedule = NoiseSchedule(config)
        self.options = options
        self.train = train
        optimizer = Adam(networks.model, learningRate: options.learningRate)
        state = TrainerState(generator: RandomGenerator(seed: options.seed &+ 0x5DEE_CE66))
    }

    public static func resume(from directory: URL, train: ImageDataset, options: ImageGeneratorOptions) throws -> DiffusionTrainer {
        let config = try DiffusionNetworks.readConfig(from: directory)
        guard train.channels == config.imageChannels && train.height == config.imageHeight && train.width == config.imageWidth else {
            throw LoomError("\(directory.path): the checkpoint's model takes \(config.imageChannels)×\(config.imageHeight)×\(config.imageWidth) images, the data holds \(train.channels)×\(train.height)×\(train.width)")
        }
        let trainer = DiffusionTrainer(config: config, train: train, options: options)
        try Checkpoint.loadModel(into: trainer.networks, from: directory)
        try Checkpoint.loadOptimizer(trainer.optimizer, from: directory)
        trainer.state = try Checkpoint.readTrainerState(from: directory)
        return trainer
    }

    func learningRate(at step: Int) -> Float {
        guard config.warmupSteps > 0 else { return options.learningRate }
        return options.learningRate * Swift.min(1, Float(step + 1) / Float(config.warmupSteps))
    }

    /// One optimization step on a batch drawn from `generator`; returns the loss.
    /// `lastCheckpoint` is named when the step diverges.
    func trainingStep(generator: inout RandomGenerator, lastCheckpoint: String? = nil) throws -> Float {
        let batch = options.batchSize
        let indices = (0..<batch).map { _ in generator.nextInt(below: train.count) }
        let flips = options.flips ? indices.map { _ in generator.nextFloat() < 0.5 } : nil
        let (images, imageLabels) = train.batch(indices[...], flips: flips)
        let timesteps = (0..<batch).map { _ in generator.nextInt(below: schedule.count) }
        let noise = Tensor.randomNormal(images.shape, using: &generator)
        var labels: [Int32]? = nil
        if config.classes > 0 {
            labels = imageLabels.map { label in
                generator.nextFloat() < config.labelDropout ? Int32(config.classes) : Swift.min(Swift.max(label, 0), Int32(config.classes - 1))
            }
        }
        let model = networks.model
        model.train()
        let prediction = model(schedule.noised(images, noise: noise, timesteps: timesteps),
                               timesteps: timesteps.map(Float.init), labels: labels)
        let loss = Loss.mse(prediction, noise)
        let value = loss.item
        optimizer.zeroGrad()
        loss.backward()
        try DivergenceCheck.check(loss: value, step: state.step + 1, learningRate: learningRate(at: state.step),
                                  gradientClip: config.gradientClip, lastCheckpoint: lastCheckpoint,
                                  clipFlag: nil)
        if config.gradientClip > 0 { clipGradientNorm(model.parameters, maxNorm: config.gradientClip) }
        optimizer.learningRate = learningRate(at: state.step)
        optimizer.step()
        ExponentialMovingAverage.update(networks.ema, from: model,
                                        decay: ExponentialMovingAverage.decay(config.emaDecay, afterUpdates: state.step))
        return value
    }

    public func run(saveTo directory: URL, shouldStop: () -> Bool, report: (ImageGeneratorEvent) -> Void) throws {
        var generator = state.generator ?? RandomGenerator(seed: options.seed &+ 0x5DEE_CE66)
        while state.step < options.steps {
            if shouldStop() {
                try save(to: directory)
                throw TrainingInterrupted(step: state.step, directory: directory)
            }
            let loss = try trainingStep(generator: &generator, lastCheckpoint: DivergenceCheck.lastCheckpoint(in: directory))
            state.step += 1
            state.generator = generator
            report(.step(step: state.step, totalSteps: options.steps, losses: [("loss", loss)]))
            if options.saveEvery > 0 && state.step % options.saveEvery == 0 && state.step < options.steps {
                try save(to: directory)
                report(.saved(step: state.step, directory: directory))
            }
        }
        try save(to: directory)
        report(.saved(step: state.step, directory: directory))
    }

    public func save(to directory: URL) throws {
        try Checkpoint.save(module: networks, config: config, to: directory, optimizer: optimizer, trainerState: state)
    }
}
