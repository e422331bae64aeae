import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// Small synthetic images (8×8 stripes and squares) so the generator tests need no corpus.
enum GeneratorFixtures {
    static func images(count: Int = 96) -> ImageDataset {
        var pixels: [Float] = []
        var labels: [Int32] = []
        for i in 0..<count {
            let kind = i % 3, offset = (i / 3) % 4
            for y in 0..<8 {
                for x in 0..<8 {
                    let on: Bool
                    switch kind {
                    case 0: on = (x + offset) % 4 < 2
                    case 1: on = (y + offset) % 4 < 2
                    default: on = x >= offset && x < offset + 4 && y >= offset && y < offset + 4
                    }
                    pixels.append(on ? 0.9 : -0.9)
                }
            }
            labels.append(Int32(kind))
        }
        return ImageDataset(channels: 1, height: 8, width: 8, pixels: pixels, labels: labels)
    }

    static func options(steps: Int, learningRate: Float = 1e-3) -> ImageGeneratorOptions {
        var options = ImageGeneratorOptions()
        options.steps = steps
        options.batchSize = 16
        options.learningRate = learningRate
        options.seed = 3
        options.saveEvery = 1000
        return options
    }

    static func directory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-imagegen-\(name)-\(UUID().uuidString)")
    }

    static func bits(_ module: Module) -> [[UInt32]] {
        module.stateDict().map { $0.1.scalars.map(\.bitPattern) }
    }

    /// Equal up to rounding: matrix products over different batch sizes may block differently.
    static func assertClose(_ a: [Float], _ b: [Float], _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-5, message, file: file, line: line)
    }
}

final class VAETests: XCTestCase {
    func testLossFallsOverAFewSteps() {
        let trainer = VAETrainer(train: GeneratorFixtures.images(), options: GeneratorFixtures.options(steps: 40, learningRate: 3e-3))
        var losses: [Float] = []
        for _ in 0..<40 { losses.append(trainer.trainStep().total) }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, first * 0.85, "loss went from \(first) to \(last)")
        XCTAssertEqual(trainer.step, 40)
    }

    /// KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² - log σ² - 1) per dimension, summed over the code.
    func testKLTermMatchesItsClosedForm() {
        let mean = Tensor(shape: [2, 2], values: [1, 0, 0, 2])
        let logVariance = Tensor(shape: [2, 2], values: [0, Float(Foundation.log(2.0)), 0, 0])
        // Row 1: ½(1 + 1 - 0 - 1) + ½(0 + 2 - ln 2 - 1); row 2: 0 + ½(4 + 1 - 0 - 1); mean of the rows.
        let row1 = 0.5 + 0.5 * (1 - Foundation.log(2.0)), row2 = 2.0
        XCTAssertEqual(Double(Loss.gaussianKL(mean: mean, logVariance: logVariance).item), (row1 + row2) / 2, accuracy: 1e-6)
    }

    func testKLWeightWarmsUpLinearlyToBeta() {
        var config = VAEConfig()
        config.beta = 0.5
        config.klWarmupSteps = 4
        XCTAssertEqual([0, 1, 3, 10].map(config.klWeight(step:)), [0.125, 0.25, 0.5, 0.5])
        config.klWarmupSteps = 0
        XCTAssertEqual(config.klWeight(step: 0), 0.5)
    }

    func testReconstructionAndInterpolationShapes() {
        let data = GeneratorFixtures.images(count: 6)
        let trainer = VAETrainer(train: data, options: GeneratorFixtures.options(steps: 1))
        let sampler = VAESampler(model: trainer.model)
        let images = data.batch(Array(0..<4)[...]).images
        XCTAssertEqual(sampler.reconstruct(images).shape, [4, 1, 8, 8])
        let grid = sampler.interpolate(from: images.slice(axis: 0, 0..<2), to: images.slice(axis: 0, 2..<4), columns: 5)
        XCTAssertEqual(grid.shape, [10, 1, 8, 8])
        // The ends of each row are the two reconstructions.
        let rebuilt = sampler.reconstruct(images)
        for (row, pair) in [(0, (0, 2)), (1, (1, 3))] {
            let start = grid.slice(axis: 0, row * 5..<row * 5 + 1).scalars
            let end = grid.slice(axis: 0, row * 5 + 4..<row * 5 + 5).scalars
            GeneratorFixtures.assertClose(start, rebuilt.slice(axis: 0, pair.0..<pair.0 + 1).scalars)
            GeneratorFixtures.assertClose(end, rebuilt.slice(axis: 0, pair.1..<pair.1 + 1).scalars)
        }
        XCTAssertTrue(grid.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    func testResumedRunMatchesUninterruptedRun() throws {
        let data = GeneratorFixtures.images()
        let wholeDirectory = GeneratorFixtures.directory("vae-whole"), directory = GeneratorFixtures.directory("vae-resumed")
        defer { for d in [wholeDirectory, directory] { try? FileManager.default.removeItem(at: d) } }
        let whole = VAETrainer(train: data, options: GeneratorFixtures.options(steps: 8))
        try whole.run(saveTo: wholeDirectory, shouldStop: { false }, report: { _ in })

        let first = VAETrainer(train: data, options: GeneratorFixtures.options(steps: 8))
        XCTAssertThrowsError(try first.run(saveTo: directory, shouldStop: { first.step >= 3 }, report: { _ in })) {
            XCTAssertTrue($0 is TrainingInterrupted, "\($0)")
        }
        let second = try VAETrainer.resume(from: directory, train: data, options: GeneratorFixtures.options(steps: 8))
        XCTAssertEqual(second.step, 3)
        try second.run(saveTo: directory, shouldStop: { false }, report: { _ in })
        XCTAssertEqual(GeneratorFixtures.bits(second.model), GeneratorFixtures.bits(whole.model))
        XCTAssertEqual(second.optimizer.stateTensors().map { $0.1.scalars }, whole.optimizer.stateTensors().map { $0.1.scalars })
    }

    func testSamplesDependOnlyOnTheSeed() throws {
        let directory = GeneratorFixtures.directory("vae-sample")
        defer { try? FileManager.default.removeItem(at: directory) }
        let trainer = VAETrainer(train: GeneratorFixtures.images(), options: GeneratorFixtures.options(steps: 2))
        try trainer.run(saveTo: directory, shouldStop: { false }, report: { _ in })
        var sampler = try VAESampler.load(from: directory)
        let a = try sampler.sample(count: 7, steps: nil, seed: 11)
        XCTAssertEqual(try VAESampler.load(from: directory).sample(count: 7, steps: nil, seed: 11).scalars, a.scalars)
        sampler.chunk = 3
        GeneratorFixtures.assertClose(try sampler.sample(count: 7, steps: nil, seed: 11).scalars, a.scalars)
        XCTAssertNotEqual(try sampler.sample(count: 7, steps: nil, seed: 12).scalars, a.scalars)
        XCTAssertEqual(a.shape, [7, 1, 8, 8])
    }
}

final class GANTests: XCTestCase {
    func testOneStepChangesBothNetworks() {
        let trainer = GANTrainer(train: GeneratorFixtures.images(), options: GeneratorFixtures.options(steps: 1, learningRate: 2e-4))
        let generator = GeneratorFixtures.bits(trainer.pair.generator)
        let discriminator = GeneratorFixtures.bits(trainer.pair.discriminator)
        let result = trainer.trainStep()
        XCTAssertTrue(result.discriminator.isFinite && result.generator.isFinite)
        XCTAssertNotEqual(GeneratorFixtures.bits(trainer.pair.generator), generator)
        XCTAssertNotEqual(GeneratorFixtures.bits(trainer.pair.discriminator), discriminator)
    }

    func testLabelSmoothingRaisesTheDiscriminatorLossOnRealImages() {
        var options = GeneratorFixtures.options(steps: 1)
        let plain = GANTrainer(train: GeneratorFixtures.images(), options: options)
        options.settings["label_smoothing"] = 0.2
        let smoothed = GANTrainer(train: GeneratorFixtures.images(), options: options)
        XCTAssertEqual(smoothed.pair.config.labelSmoothing, 0.2)
        // Same seed, same weights and batch: only the real target differs.
        XCTAssertEqual(GeneratorFixtures.bits(plain.pair), GeneratorFixtures.bits(smoothed.pair))
        XCTAssertNotEqual(plain.trainStep().discriminator, smoothed.trainStep().discriminator)
    }

    func testCheckpointReloadsToIdenticalSamples() throws {
        let directory = GeneratorFixtures.directory("gan-sample")
        defer { try? FileManager.default.removeItem(at: directory) }
        let trainer = GANTrainer(train: GeneratorFixtures.images(), options: GeneratorFixtures.options(steps: 3))
        try trainer.run(saveTo: directory, shouldStop: { false }, report: { _ in })
        for name in [Checkpoint.modelFile, Checkpoint.configFile, Checkpoint.trainerFile,
                     GANTrainer.generatorOptimizerFile, GANTrainer.discriminatorOptimizerFile] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), name)
        }
        let names = trainer.pair.stateDict().map(\.0)
        XCTAssertTrue(names.contains { $0.hasPrefix("generator.") } && names.contains { $0.hasPrefix("discriminator.") })

        let inMemory = GANSampler(generator: trainer.pair.generator)
        let a = try inMemory.sample(count: 5, steps: nil, seed: 4)
        var loaded = try GANSampler.load(from: directory)
        XCTAssertEqual(try loaded.sample(count: 5, steps: nil, seed: 4).scalars, a.scalars)
        loaded.chunk = 2
        GeneratorFixtures.assertClose(try loaded.sample(count: 5, steps: nil, seed: 4).scalars, a.scalars)
        XCTAssertNotEqual(try loaded.sample(count: 5, steps: nil, seed: 5).scalars, a.scalars)
        XCTAssertTrue(a.scalars.allSatisfy { $0 >= -1 && $0 <= 1 })
        XCTAssertThrowsError(try VAESampler.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("'gan' model, not a 'vae'"), "\(error)")
        }
    }

    func testResumedRunMatchesUninterruptedRun() throws {
        let data = GeneratorFixtures.images()
        let wholeDirectory = GeneratorFixtures.directory("gan-whole"), directory = GeneratorFixtures.directory("gan-resumed")
        defer { for d in [wholeDirectory, directory] { try? FileManager.default.removeItem(at: d) } }
        let whole = GANTrainer(train: data, options: GeneratorFixtures.options(steps: 7))
        try whole.run(saveTo: wholeDirectory, shouldStop: { false }, report: { _ in })

        let first = GANTrainer(train: data, options: GeneratorFixtures.options(steps: 7))
        XCTAssertThrowsError(try first.run(saveTo: directory, shouldStop: { first.step >= 4 }, report: { _ in }))
        let second = try GANTrainer.resume(from: directory, train: data, options: GeneratorFixtures.options(steps: 7))
        XCTAssertEqual(second.step, 4)
        try second.run(saveTo: directory, shouldStop: { false }, report: { _ in })
        XCTAssertEqual(GeneratorFixtures.bits(second.pair), GeneratorFixtures.bits(whole.pair))
        for (a, b) in [(second.generatorOptimizer, whole.generatorOptimizer), (second.discriminatorOptimizer, whole.discriminatorOptimizer)] {
            XCTAssertEqual(a.stateTensors().map { $0.1.scalars }, b.stateTensors().map { $0.1.scalars })
        }
    }

    func testResumeRefusesImagesOfAnotherSize() throws {
        let directory = GeneratorFixtures.directory("gan-size")
        defer { try? FileManager.default.removeItem(at: directory) }
        let trainer = GANTrainer(train: GeneratorFixtures.images(), options: GeneratorFixtures.options(steps: 1))
        try trainer.run(saveTo: directory, shouldStop: { false }, report: { _ in })
        let other = ImageDataset(channels: 1, height: 12, width: 12, pixels: [Float](repeating: 0, count: 4 * 144), labels: [0, 0, 0, 0])
        XCTAssertThrowsError(try GANTrainer.resume(from: directory, train: other, options: GeneratorFixtures.options(steps: 2))) { error in
            XCTAssertTrue("\(error)".contains("1×8×8") && "\(error)".contains("1×12×12"), "\(error)")
        }
    }
}
