import Foundation
import LoomCore
import LoomNN
import LoomTensor

/// Trains a `GANPair`. With the default non-saturating loss, each step updates the
/// discriminator on a real and a generated batch, then the generator to make the updated
/// discriminator call its batch real; both Adam optimizers use β₁ = 0.5, as DCGAN. With the
/// WGAN-GP loss (GANWassersteinTraining.swift) each step makes `criticSteps` critic updates,
/// then one generator update, with Adam β = (0, 0.9) as in the WGAN-GP paper. The optimizers'
/// states are saved as optimizer_generator.safetensors and optimizer_discriminator.safetensors.
///
/// Model settings read from `ImageGeneratorOptions`: the choice "loss" ("non-saturating" or
/// "wgan-gp"); the settings "label_smoothing" (non-saturating only: one-sided, e.g. 0.1 makes
/// the real target 0.9), "gp_weight" and "critic_steps" (WGAN-GP only) and "latent". A
/// resumed run keeps its config.json's.
public final class GANTrainer: ImageGeneratorTraining {
    public static let kind = GANConfig.kind
    public static let settingNames: Set<String> = ["label_smoothing", "latent", "gp_weight", "critic_steps"]
    public static let choiceNames: Set<String> = ["loss"]
    public static let generatorOptimizerFile = "optimizer_generator.safetensors"
    public static let discriminatorOptimizerFile = "optimizer_discriminator.safetensors"
    public let pair: GANPair
    public let options: ImageGeneratorOptions
    let generatorOptimizer: Adam
    let discriminatorOptimizer: Adam
    var schedule: ImageBatchSchedule
    public internal(set) var step = 0

    public convenience init(train: ImageDataset, options: ImageGeneratorOptions) {
        var config = GANConfig()
        config.channels = train.channels
        config.height = train.height
        config.width = train.width
        if let name = options.choices["loss"] {
            guard let loss = GANLoss(rawValue: name) else { preconditionFailure("unknown GAN loss '\(name)'") }
            config.loss = loss
        }
        if let smoothing = options.settings["label_smoothing"] { config.labelSmoothing = smoothing }
        if let latent = options.settings["latent"] { config.latent = Int(latent) }
        if let weight = options.settings["gp_weight"] { config.gradientPenaltyWeight = weight }
        if let steps = options.settings["critic_steps"] { config.criticSteps = Int(steps) }
        var rng = RandomGenerator(seed: options.seed)
        self.init(pair: GANPair(config, using: &rng), train: train, options: options)
    }

    init(pair: GANPair, train: ImageDataset, options: ImageGeneratorOptions) {
        self.pair = pair
        self.options = options
        let (beta1, beta2): (Float, Float) = pair.config.loss == .nonSaturating ? (0.5, 0.999) : (0, 0.9)
        generatorOptimizer = Adam(parameters: pair.generator.trainableParameters, learningRate: options.learningRate,
                                  beta1: beta1, beta2: beta2)
        discriminatorOptimizer = Adam(parameters: pair.discriminator.trainableParameters, learningRate: options.learningRate,
                                      beta1: beta1, beta2: beta2)
        schedule = ImageBatchSchedule(data: train, batchSize: options.batchSize, seed: options.seed, flips: options.flips)
    }

    public static func resume(from directory: URL, train: ImageDataset, options: ImageGeneratorOptions) throws -> GANTrainer {
        let config = try Checkpoint.readConfig(GANConfig.self, from: directory)
        try checkShape(config.channels, config.height, config.width, of: train, checkpoint: directory)
        if let name = options.choices["loss"], name != config.loss.rawValue {
            throw LoomError("\(directory.appendingPathComponent(Checkpoint.configFile).path): the run was trained with the "
                            + "'\(config.loss.rawValue)' loss; it cannot resume with '\(name)'")
        }
        var rng = RandomGenerator(seed: options.seed)
        let trainer = GANTrainer(pair: GANPair(config, using: &rng), train: train, options: options)
        try Checkpoint.loadModel(into: trainer.pair, from: directory)
        try trainer.generatorOptimizer.loadState(from: directory.appendingPathComponent(generatorOptimizerFile))
        try trainer.discriminatorOptimizer.loadState(from: directory.appendingPathComponent(discriminatorOptimizerFile))
        trainer.step = try Checkpoint.readTrainerState(from: directory).step
        return trainer
    }

    /// One discriminator and one generator update on step `step`'s batch and codes
    /// (non-saturating loss).
    /// Returns the two losses and the discriminator's mean probability of "real" for the
    /// real and the generated batch (before its update).
    @discardableResult
    public func trainStep() -> (discriminator: Float, generator: Float, realScore: Float, fakeScore: Float) {
        precondition(pair.config.loss == .nonSaturating, "trainStep() is the non-saturating step; use wassersteinStep()")
        let real = schedule.images(step: step)
        var noise = schedule.noise(step: step)
        let batch = real.shape[0]
        let codes = Tensor.randomNormal([batch, pair.config.latent], using: &noise)
        let fake = pair.generator(codes)

        let realLogits = pair.discriminator(real)
        let fakeLogits = pair.discriminator(fake.detached())
        let realTarget = Tensor(shape: realLogits.shape, repeating: 1 - pair.config.labelSmoothing)
        let fakeTarget = Tensor(zeros: fakeLogits.shape)
        let discriminatorLoss = realLogits.binaryCrossEntropyWithLogits(targets: realTarget)
            + fakeLogits.binaryCrossEntropyWithLogits(targets: fakeTarget)
        discriminatorOptimizer.zeroGrad()
        discriminatorLoss.backward()
        discriminatorOptimizer.step()

        // Non-saturating: maximize log D(G(z)) rather than minimize log(1 - D(G(z))).
        let judged = pair.discriminator(fake)
        let generatorLoss = judged.binaryCrossEntropyWithLogits(targets: Tensor(ones: judged.shape))
        generatorOptimizer.zeroGrad()
        generatorLoss.backward()
        generatorOptimizer.step()
        step += 1
        return (discriminatorLoss.item, generatorLoss.item, Self.meanSigmoid(realLogits), Self.meanSigmoid(fakeLogits))
    }

    static func meanSigmoid(_ logits: Tensor) -> Float {
        var total: Float = 0
        for i in 0..<logits.count { total += 1 / (1 + Foundation.exp(-logits.pointer[i])) }
        return total / Float(max(logits.count, 1))
    }

    public func run(saveTo directory: URL, shouldStop: () -> Bool, report: (ImageGeneratorEvent) -> Void) throws {
        pair.train()
        // The divergence check watches the sum of both networks' losses.
        try runGeneratorSteps(options: options, directory: directory, step: { step }, shouldStop: shouldStop,
                              report: report, save: save(to:)) {
            if pair.config.loss == .wassersteinGradientPenalty {
                let result = wassersteinStep()
                return (result.critic + result.generator,
                        [("d_loss", result.critic), ("g_loss", result.generator),
                         ("w_dist", result.wassersteinEstimate), ("gp", result.penalty)])
            }
            let result = trainStep()
            return (result.discriminator + result.generator,
                    [("d_loss", result.discriminator), ("g_loss", result.generator),
                     ("d_real", result.realScore), ("d_fake", result.fakeScore)])
        }
    }

    /// Both networks, both optimizers and the trainer state, swapped in as one directory so
    /// that weights and optimizer moments always come from the same step.
    public func save(to directory: URL) throws {
        var state = TrainerState(step: step)
        state.notes["learning_rate"] = String(options.learningRate)
        try Checkpoint.save(module: pair, config: pair.config, to: directory, trainerState: state) { staging in
            try generatorOptimizer.saveState(to: staging.appendingPathComponent(Self.generatorOptimizerFile))
            try discriminatorOptimizer.saveState(to: staging.appendingPathComponent(Self.discriminatorOptimizerFile))
        }
    }
}

/// A trained GAN's generator, in evaluation mode (batch norm uses its running statistics,
/// so an image depends only on its own code).
public struct GANSampler: ImageGeneratorSampler {
    public static let kind = GANConfig.kind
    public let generator: DCGANGenerator
    /// Images generated per forward pass; it changes results only by rounding.
    public var chunk = 500

    public init(generator: DCGANGenerator) {
        self.generator = generator
        generator.eval()
    }

    public static func load(from directory: URL) throws -> GANSampler {
        let config = try Checkpoint.readConfig(GANConfig.self, from: directory)
        var rng = RandomGenerator(seed: 0)
        let pair = GANPair(config, using: &rng)
        try Checkpoint.loadModel(into: pair, from: directory)
        return GANSampler(generator: pair.generator)
    }

    public func sample(count: Int, steps: Int?, seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let codes = Tensor.randomNormal([count, generator.config.latent], using: &rng)
        return withoutGradients {
            let parts = stride(from: 0, to: count, by: chunk).map { start in
                generator(codes.slice(axis: 0, start..<min(start + chunk, count)))
            }
            return parts.isEmpty ? Tensor(zeros: [0, generator.config.channels, generator.config.height, generator.config.width])
                                 : Tensor.concat(parts, axis: 0)
        }
    }
}
