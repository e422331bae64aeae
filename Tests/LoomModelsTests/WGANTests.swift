import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// The GAN's WGAN-GP loss: its config, a short training run, and its checkpoints.
final class WGANTests: XCTestCase {
    static func options(steps: Int) -> ImageGeneratorOptions {
        var options = GeneratorFixtures.options(steps: steps, learningRate: 1e-4)
        options.choices["loss"] = GANLoss.wassersteinGradientPenalty.rawValue
        return options
    }

    /// A config.json written before the loss was a choice.
    func testConfigWithoutLossKeysReadsAsNonSaturatingAndIsWrittenUnchanged() throws {
        let old = """
        {"channels": 1, "height": 28, "width": 28, "latent": 64, "generator_channels": 64,
         "discriminator_channels": 32, "label_smoothing": 0.1}
        """
        let config = try JSONDecoder().decode(GANConfig.self, from: Data(old.utf8))
        XCTAssertEqual(config.loss, .nonSaturating)
        XCTAssertEqual(config.labelSmoothing, 0.1)
        XCTAssertEqual(config.gradientPenaltyWeight, 10)
        XCTAssertEqual(config.criticSteps, 5)
        let written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any]
        XCTAssertEqual(Set(written?.keys.map { $0 } ?? []),
                       ["channels", "height", "width", "latent", "generator_channels", "discriminator_channels", "label_smoothing"])

        var wasserstein = GANConfig()
        wasserstein.loss = .wassersteinGradientPenalty
        wasserstein.gradientPenaltyWeight = 5
        wasserstein.criticSteps = 3
        XCTAssertEqual(try JSONDecoder().decode(GANConfig.self, from: JSONEncoder().encode(wasserstein)), wasserstein)

        let bad = old.replacingOccurrences(of: "}", with: ", \"loss\": \"hinge\"}")
        XCTAssertThrowsError(try JSONDecoder().decode(GANConfig.self, from: Data(bad.utf8)))
        let negative = old.replacingOccurrences(of: "}", with: ", \"loss\": \"wgan-gp\", \"critic_steps\": 0}")
        XCTAssertThrowsError(try JSONDecoder().decode(GANConfig.self, from: Data(negative.utf8)))
    }

    /// The default pair keeps its parameter names (batch norm, no bias before it); the critic
    /// has a bias in place of the batch norm.
    func testCriticDropsBatchNormOnlyForTheWassersteinLoss() {
        var rng = RandomGenerator(seed: 1)
        let plain = Set(GANPair(GANConfig(), using: &rng).stateDict().map(\.0).filter { $0.hasPrefix("discriminator.") })
        XCTAssertEqual(plain, ["discriminator.conv1.weight", "discriminator.conv1.bias", "discriminator.conv2.weight",
                               "discriminator.norm2.weight", "discriminator.norm2.bias", "discriminator.norm2.running_mean",
                               "discriminator.norm2.running_var", "discriminator.classify.weight", "discriminator.classify.bias"])
        var config = GANConfig()
        config.loss = .wassersteinGradientPenalty
        let critic = Set(GANPair(config, using: &rng).stateDict().map(\.0).filter { $0.hasPrefix("discriminator.") })
        XCTAssertEqual(critic, ["discriminator.conv1.weight", "discriminator.conv1.bias", "discriminator.conv2.weight",
                                "discriminator.conv2.bias", "discriminator.classify.weight", "discriminator.classify.bias"])
    }

    func testOptionsReachTheConfigAndTheOptimizers() {
        var options = Self.options(steps: 1)
        options.settings["gp_weight"] = 4
        options.settings["critic_steps"] = 2
        let trainer = GANTrainer(train: GeneratorFixtures.images(), options: options)
        XCTAssertEqual(trainer.pair.config.loss, .wassersteinGradientPenalty)
        XCTAssertEqual(trainer.pair.config.gradientPenaltyWeight, 4)
        XCTAssertEqual(trainer.pair.config.criticSteps, 2)
        for optimizer in [trainer.generatorOptimizer, trainer.discriminatorOptimizer] {
            XCTAssertEqual(optimizer.beta1, 0)
            XCTAssertEqual(optimizer.beta2, 0.9)
        }
        let plain = GANTrainer(train: GeneratorFixtures.images(), options: GeneratorFixtures.options(steps: 1))
        XCTAssertEqual(plain.discriminatorOptimizer.beta1, 0.5)
        XCTAssertEqual(plain.discriminatorOptimizer.beta2, 0.999)
    }

    /// The critic starts with input gradients of norm about 0.1, so at first the penalty
    /// (λ(1 − 0.1)² ≈ 8) drives its updates and the Wasserstein estimate stays near zero; once
    /// the norms are near 1 the critic tells the stripes and squares from the generator's
    /// output and the estimate grows, while the penalty keeps it from running away.
    func testShortRunTheCriticFirstMeetsThePenaltyThenSeparatesRealFromGenerated() {
        let trainer = GANTrainer(train: GeneratorFixtures.images(), options: Self.options(steps: 150))
        var results: [WassersteinStepResult] = []
        for _ in 0..<150 { results.append(trainer.wassersteinStep()) }
        XCTAssertEqual(trainer.step, 150)
        XCTAssertTrue(results.allSatisfy { $0.critic.isFinite && $0.generator.isFinite && $0.penalty.isFinite })
        func mean(_ values: [Float]) -> Float { values.reduce(0, +) / Float(max(values.count, 1)) }
        let estimates = results.map(\.wassersteinEstimate), penalties = results.map(\.penalty), norms = results.map(\.gradientNorm)
        let trace = "estimates \(estimates), penalties \(penalties), norms \(norms)"
        XCTAssertLessThan(Swift.abs(estimates[0]), 0.5, trace)
        XCTAssertGreaterThan(penalties[0], 5, trace)
        XCTAssertLessThan(norms[0], 0.2, trace)
        XCTAssertLessThan(penalties[30..<60].min() ?? .infinity, 0.5, trace)
        let late = 130..<150
        XCTAssertGreaterThan(mean(Array(estimates[late])), 2, trace)
        XCTAssertLessThan(mean(Array(estimates[late])), 20, trace)
        XCTAssertLessThan(mean(Array(penalties[late])), 2, trace)
        XCTAssertEqual(mean(Array(norms[late])), 1, accuracy: 0.4, trace)
    }

    func testCheckpointReloadsAndResumesExactly() throws {
        let data = GeneratorFixtures.images()
        let wholeDirectory = GeneratorFixtures.directory("wgan-whole"), directory = GeneratorFixtures.directory("wgan-resumed")
        defer { for d in [wholeDirectory, directory] { try? FileManager.default.removeItem(at: d) } }
        let whole = GANTrainer(train: data, options: Self.options(steps: 5))
        try whole.run(saveTo: wholeDirectory, shouldStop: { false }, report: { _ in })
        let config = try Checkpoint.readConfig(GANConfig.self, from: wholeDirectory)
        XCTAssertEqual(config, whole.pair.config)
        XCTAssertEqual(config.loss, .wassersteinGradientPenalty)

        let inMemory = try GANSampler(generator: whole.pair.generator).sample(count: 5, steps: nil, seed: 4)
        XCTAssertEqual(try GANSampler.load(from: wholeDirectory).sample(count: 5, steps: nil, seed: 4).scalars, inMemory.scalars)

        let first = GANTrainer(train: data, options: Self.options(steps: 5))
        XCTAssertThrowsError(try first.run(saveTo: directory, shouldStop: { first.step >= 2 }, report: { _ in }))
        var wrongLoss = Self.options(steps: 5)
        wrongLoss.choices["loss"] = GANLoss.nonSaturating.rawValue
        XCTAssertThrowsError(try GANTrainer.resume(from: directory, train: data, options: wrongLoss)) { error in
            XCTAssertTrue("\(error)".contains("'wgan-gp' loss"), "\(error)")
        }
        // Without a --loss choice the checkpoint's own loss applies.
        let second = try GANTrainer.resume(from: directory, train: data, options: GeneratorFixtures.options(steps: 5, learningRate: 1e-4))
        XCTAssertEqual(second.step, 2)
        XCTAssertEqual(second.pair.config.loss, .wassersteinGradientPenalty)
        try second.run(saveTo: directory, shouldStop: { false }, report: { _ in })
        XCTAssertEqual(GeneratorFixtures.bits(second.pair), GeneratorFixtures.bits(whole.pair))
        for (a, b) in [(second.generatorOptimizer, whole.generatorOptimizer), (second.discriminatorOptimizer, whole.discriminatorOptimizer)] {
            XCTAssertEqual(a.stateTensors().map { $0.1.scalars }, b.stateTensors().map { $0.1.scalars })
        }
    }
}
