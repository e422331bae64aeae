import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// The diffusion model on tiny sizes: the forward process against its closed form, DDIM
/// against DDPM, training, EMA arithmetic, exact resume and reproducible sampling.
final class DiffusionTests: XCTestCase {
    static func tinyConfig(classes: Int = 0) -> DiffusionConfig {
        var config = DiffusionConfig()
        config.imageHeight = 8
        config.imageWidth = 8
        config.baseChannels = 8
        config.channelMultipliers = [1, 2]
        config.groups = 4
        config.timesteps = 20
        config.warmupSteps = 0
        config.samplingSteps = 5
        config.classes = classes
        return config
    }

    /// 16 images of 8×8: a bright bar at a row or column that depends on the label.
    static func tinyData() -> ImageDataset {
        var pixels: [Float] = [], labels: [Int32] = []
        for i in 0..<16 {
            let label = i % 4
            for y in 0..<8 { for x in 0..<8 { pixels.append((label < 2 ? y : x) == 2 + 3 * (label % 2) ? 1 : -0.8) } }
            labels.append(Int32(label))
        }
        return ImageDataset(channels: 1, height: 8, width: 8, pixels: pixels, labels: labels)
    }

    static func options(steps: Int, learningRate: Float = 2e-3) -> ImageGeneratorOptions {
        var options = ImageGeneratorOptions()
        options.steps = steps
        options.batchSize = 8
        options.learningRate = learningRate
        options.seed = 11
        options.saveEvery = 4
        options.flips = true
        return options
    }

    static func directory(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("loom-diffusion-\(name)-\(UUID())")
    }

    func bits(_ module: Module) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: module.stateDict().map { ($0.0, $0.1.scalars.map(\.bitPattern)) })
    }

    // MARK: Schedules and the forward process

    func testSchedulesMatchTheirClosedForms() {
        let linear = NoiseSchedule(.linear, timesteps: 100, betaStart: 1e-4, betaEnd: 0.02)
        XCTAssertEqual(linear.betas.first!, 1e-4, accuracy: 1e-12)
        XCTAssertEqual(linear.betas.last!, 0.02, accuracy: 1e-12)
        XCTAssertEqual(linear.betas[50] - linear.betas[49], (0.02 - 1e-4) / 99, accuracy: 1e-12)
        var product = 1.0
        for t in 0..<100 {
            product *= 1 - (1e-4 + (0.02 - 1e-4) * Double(t) / 99)
            XCTAssertEqual(linear.alphaBars[t], product, accuracy: 1e-12)
        }
        let cosine = NoiseSchedule(.cosine, timesteps: 50)
        func f(_ u: Double) -> Double { let c = cos((u / 50 + 0.008) / 1.008 * .pi / 2); return c * c }
        for t in [0, 10, 25, 40] { XCTAssertEqual(cosine.alphaBars[t], f(Double(t + 1)) / f(0), accuracy: 1e-9) }
        XCTAssertEqual(cosine.betas.max()!, 0.999, accuracy: 1e-12, "the last β is clipped")
        XCTAssertTrue(zip(cosine.alphaBars, cosine.alphaBars.dropFirst()).allSatisfy { $0 > $1 })
    }

    func testForwardProcessHasTheClosedFormMeanAndVariance() {
        let schedule = NoiseSchedule(.linear, timesteps: 100)
        let draws = 20000, t = 37
        let values: [Float] = [-1, 0.25, 0.9]
        let x0 = Tensor(shape: [draws, 3], values: (0..<draws).flatMap { _ in values })
        var rng = RandomGenerator(seed: 5)
        let xt = schedule.noised(x0, noise: Tensor.randomNormal([draws, 3], using: &rng), timesteps: Array(repeating: t, count: draws))
        let alphaBar = schedule.alphaBars[t]
        for (j, v) in values.enumerated() {
            let column = (0..<draws).map { Double(xt.pointer[$0 * 3 + j]) }
            let mean = column.reduce(0, +) / Double(draws)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws - 1)
            // Four standard errors: √((1-ᾱ)/n) for the mean, about (1-ᾱ)·√(2/n) for the variance.
            XCTAssertEqual(mean, alphaBar.squareRoot() * Double(v), accuracy: 4 * ((1 - alphaBar) / Double(draws)).squareRoot())
            XCTAssertEqual(variance, 1 - alphaBar, accuracy: 4 * (1 - alphaBar) * (2 / Double(draws)).squareRoot())
        }
    }

    // MARK: Samplers

    /// A tiny U-Net whose zero-initialized layers are randomized, so it predicts non-zero noise.
    func randomizedNetwork(_ config: DiffusionConfig) -> UNet {
        var rng = RandomGenerator(seed: 3)
        let model = UNet(config, using: &rng)
        for (name, p) in model.namedParameters() where name.hasPrefix("outputConv") || name.contains("conv2") || name.contains("proj") {
            rng.fillUniform(p.value.pointer, count: p.count, low: -0.2, high: 0.2)
        }
        model.eval()
        return model
    }

    func testDDIMWithEveryStepAndEtaOneFollowsDDPM() {
        let config = Self.tinyConfig()
        let model = randomizedNetwork(config)
        for clip in [false, true] {
            var sampling = DiffusionSampling(model: model, schedule: NoiseSchedule(config))
            sampling.clipDenoised = clip
            XCTAssertEqual(sampling.ddimTimesteps(config.timesteps), Array(0..<config.timesteps))
            var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
            let ddpm = sampling.ddpm(count: 3, generator: &a)
            let ddim = sampling.ddim(count: 3, steps: config.timesteps, eta: 1, generator: &b)
            XCTAssertEqual(a.state, b.state, "both samplers draw the same noise")
            var worst: Float = 0
            for (x, y) in zip(ddpm.scalars, ddim.scalars) { worst = max(worst, abs(x - y)) }
            XCTAssertLessThan(worst, 1e-4, "clip \(clip): DDPM and DDIM(η = 1, all steps) differ by \(worst)")
            XCTAssertGreaterThan(ddpm.scalars.map(abs).max()!, 0.1)
        }
    }

    func testDDIMStepIsThePosteriorMeanForEtaOne() {
        // With σ² = β̃_t, DDIM's deterministic part √ᾱ_{t-1}·x̂₀ + √(1-ᾱ_{t-1}-σ²)·ε̂ equals
        // the posterior mean c₀·x̂₀ + c_t·x_t when ε̂ = (x_t - √ᾱ_t·x̂₀)/√(1-ᾱ_t).
        let schedule = NoiseSchedule(.cosine, timesteps: 30)
        for t in [1, 7, 29] {
            let (c0, ct, variance) = schedule.posterior(t)
            let alphaBar = schedule.alphaBars[t], previous = schedule.alphaBars[t - 1]
            let x0 = 0.3, xt = -1.2
            let eps = (xt - alphaBar.squareRoot() * x0) / (1 - alphaBar).squareRoot()
            let ddim = previous.squareRoot() * x0 + (1 - previous - variance).squareRoot() * eps
            XCTAssertEqual(ddim, c0 * x0 + ct * xt, accuracy: 1e-12)
        }
    }

    func testSamplesHaveTheImageShapeAndStayInRange() throws {
        let sampler = DiffusionSampler(networks: DiffusionNetworks(Self.tinyConfig(), seed: 1))
        let images = try sampler.sample(count: 3, steps: nil, seed: 4)
        XCTAssertEqual(images.shape, [3, 1, 8, 8])
        XCTAssertTrue(images.scalars.allSatisfy { $0 >= -1 && $0 <= 1 }, "clipped x̂₀ at the last step")
        XCTAssertThrowsError(try sampler.sample(count: 2, steps: 21, seed: 1))
        XCTAssertThrowsError(try sampler.sample(count: 0, steps: 5, seed: 1))
    }

    // MARK: Training

    func testUNetKeepsTheImageShape() {
        var rng = RandomGenerator(seed: 1)
        let model = UNet(DiffusionConfig(), using: &rng)
        let y = model(Tensor.randomNormal([2, 1, 28, 28], using: &rng), timesteps: [0, 999])
        XCTAssertEqual(y.shape, [2, 1, 28, 28])
        XCTAssertTrue(y.scalars.allSatisfy { $0 == 0 }, "the output convolution starts at zero")
    }

    func testLossFallsOnATinySet() throws {
        let config = Self.tinyConfig()
        let trainer = DiffusionTrainer(config: config, train: Self.tinyData(), options: Self.options(steps: 60, learningRate: 3e-3))
        // A fixed batch, steps and noise, so the comparison is not drowned by sampling noise.
        func fixedLoss() -> Float {
            var rng = RandomGenerator(seed: 99)
            let (images, _) = Self.tinyData().batch(Array(0..<16)[...])
            let timesteps = (0..<16).map { _ in rng.nextInt(below: config.timesteps) }
            let noise = Tensor.randomNormal(images.shape, using: &rng)
            return withoutGradients {
                Loss.mse(trainer.networks.model(trainer.schedule.noised(images, noise: noise, timesteps: timesteps),
                                                timesteps: timesteps.map(Float.init)), noise).item
            }
        }
        let before = fixedLoss()
        XCTAssertEqual(before, 1, accuracy: 0.15, "a zero prediction leaves the noise's variance")
        let directory = Self.directory("loss")
        defer { try? FileManager.default.removeItem(at: directory) }
        var losses: [Float] = []
        try trainer.run(saveTo: directory, shouldStop: { false }) { event in
            if case .step(_, _, let values) = event { losses.append(values[0].value) }
        }
        XCTAssertEqual(losses.count, 60)
        let after = fixedLoss()
        XCTAssertLessThan(after, 0.75 * before, "fixed-batch loss \(before) → \(after)")
    }

    func testEMAArithmetic() {
        var rng = RandomGenerator(seed: 2)
        let model = Linear(2, 1, using: &rng), average = Linear(2, 1, using: &rng)
        model.weight.assign([1, 2]); model.bias!.assign([3])
        average.weight.assign([0, 10]); average.bias!.assign([-1])
        ExponentialMovingAverage.update(average, from: model, decay: 0.75)
        XCTAssertEqual(average.weight.value.scalars, [0.25, 8])
        XCTAssertEqual(average.bias!.value.scalars, [0])
        XCTAssertEqual(ExponentialMovingAverage.decay(0.999, afterUpdates: 0), 0.1)
        XCTAssertEqual(ExponentialMovingAverage.decay(0.999, afterUpdates: 90), 0.91)
        XCTAssertEqual(ExponentialMovingAverage.decay(0.999, afterUpdates: 100_000), 0.999)
    }

    func testTrainerUpdatesTheEMACopyEveryStep() throws {
        let trainer = DiffusionTrainer(config: Self.tinyConfig(), train: Self.tinyData(), options: Self.options(steps: 1))
        let before = trainer.networks.ema.stateDict().map { $0.1.copied() }
        var generator = RandomGenerator(seed: 1)
        _ = try trainer.trainingStep(generator: &generator)
        // First update: decay 0.1, so ema = 0.1·old + 0.9·new.
        for ((name, ema), (old, (_, new))) in zip(trainer.networks.ema.stateDict(), zip(before, trainer.networks.model.stateDict())) {
            for i in 0..<ema.count {
                XCTAssertEqual(ema.pointer[i], 0.1 * old.pointer[i] + 0.9 * new.pointer[i], accuracy: 1e-6, name)
            }
        }
    }

    func testResumedRunMatchesUninterruptedRun() throws {
        let data = Self.tinyData(), config = Self.tinyConfig(classes: 4)
        let whole = DiffusionTrainer(config: config, train: data, options: Self.options(steps: 10))
        let wholeDirectory = Self.directory("whole"), directory = Self.directory("resumed")
        defer { for d in [wholeDirectory, directory] { try? FileManager.default.removeItem(at: d) } }
        try whole.run(saveTo: wholeDirectory, shouldStop: { false }) { _ in }

        let first = DiffusionTrainer(config: config, train: data, options: Self.options(steps: 10))
        XCTAssertThrowsError(try first.run(saveTo: directory, shouldStop: { first.step >= 6 }) { _ in }) { error in
            XCTAssertTrue(error is TrainingInterrupted, "\(error)")
        }
        XCTAssertEqual(first.step, 6)
        XCTAssertNotEqual(bits(first.networks), bits(whole.networks))
        let resumed = try DiffusionTrainer.resume(from: directory, train: data, options: Self.options(steps: 10))
        XCTAssertEqual(resumed.step, 6)
        try resumed.run(saveTo: directory, shouldStop: { false }) { _ in }
        XCTAssertEqual(resumed.step, 10)
        XCTAssertEqual(bits(resumed.networks), bits(whole.networks), "weights and EMA after 6 + 4 steps equal 10 steps")
    }

    func testCheckpointReloadGivesIdenticalSamples() throws {
        let trainer = DiffusionTrainer(config: Self.tinyConfig(), train: Self.tinyData(), options: Self.options(steps: 3))
        let directory = Self.directory("reload")
        defer { try? FileManager.default.removeItem(at: directory) }
        try trainer.run(saveTo: directory, shouldStop: { false }) { _ in }
        XCTAssertEqual(try Checkpoint.kind(in: directory), "diffusion")
        let keys = try SafeTensors.read(directory.appendingPathComponent(Checkpoint.modelFile)).tensors.keys
        XCTAssertTrue(keys.contains("ema.outputConv.weight") && keys.contains("model.outputConv.weight"))
        let inMemory = DiffusionSampler(networks: trainer.networks)
        let loaded = try DiffusionSampler.load(from: directory)
        XCTAssertEqual(loaded.config, trainer.config)
        for eta: Float in [0, 1] {
            let a = try inMemory.sample(count: 2, steps: 4, eta: eta, seed: 8)
            let b = try loaded.sample(count: 2, steps: 4, eta: eta, seed: 8)
            XCTAssertEqual(a.scalars.map(\.bitPattern), b.scalars.map(\.bitPattern))
            XCTAssertNotEqual(try loaded.sample(count: 2, steps: 4, eta: eta, seed: 9).scalars, b.scalars)
        }
        let ancestral = try loaded.sample(count: 2, steps: nil, eta: 0, ancestral: true, seed: 8)
        XCTAssertEqual(ancestral.scalars, try inMemory.sample(count: 2, steps: nil, eta: 0, ancestral: true, seed: 8).scalars)
    }

    func testConditionalModelSamplesWithGuidance() throws {
        let config = Self.tinyConfig(classes: 4)
        let trainer = DiffusionTrainer(config: config, train: Self.tinyData(), options: Self.options(steps: 2))
        var generator = RandomGenerator(seed: 1)
        _ = try trainer.trainingStep(generator: &generator)
        XCTAssertEqual(trainer.networks.model.labelEmbedding?.count, 5, "four classes and the null label")
        let sampler = DiffusionSampler(networks: trainer.networks)
        let images = try sampler.sample(count: 5, steps: 3, seed: 2)
        XCTAssertEqual(images.shape, [5, 1, 8, 8])
        XCTAssertTrue(images.scalars.allSatisfy(\.isFinite))
    }

    func testBadCheckpointsAreRefusedWithTheirPath() throws {
        let directory = Self.directory("bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("config.json")
        try Data(#"{"kind": "vae"}"#.utf8).write(to: config)
        XCTAssertThrowsError(try DiffusionSampler.load(from: directory)) { XCTAssertTrue("\($0)".contains("config.json"), "\($0)") }
        var tiny = Self.tinyConfig()
        tiny.groups = 3
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(tiny)) as! [String: Any]
        object["kind"] = "diffusion"
        try JSONSerialization.data(withJSONObject: object).write(to: config)
        XCTAssertThrowsError(try DiffusionSampler.load(from: directory)) { XCTAssertTrue("\($0)".contains("groups"), "\($0)") }
    }
}
