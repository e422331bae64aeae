import LoomNN
import LoomTensor

extension EngineBenchmarks {
    /// The diffusion U-Net at its default size on 28×28 images, the workload
    /// `tools/benchmarks/diffusion.sh` also runs in PyTorch: DDPM training steps (noising,
    /// ε-prediction MSE, backward, gradient clipping, Adam) at batch 64, and one sampling
    /// step (a network call without gradients) on 64 images.
    public static func diffusion(batchSize: Int = 64, budget: Double = 4.0) -> [BenchmarkResult] {
        let config = DiffusionConfig()
        var rng = RandomGenerator(seed: 5)
        let model = UNet(config, using: &rng)
        let schedule = NoiseSchedule(config)
        let optimizer = Adam(model, learningRate: 2e-4)
        let images = Tensor.randomUniform([batchSize, 1, 28, 28], low: -1, high: 1, using: &rng)
        model.train()
        let train = secondsPerCall(budget: budget, warmup: 2) {
            let timesteps = (0..<batchSize).map { _ in rng.nextInt(below: schedule.count) }
            let noise = Tensor.randomNormal(images.shape, using: &rng)
            let prediction = model(schedule.noised(images, noise: noise, timesteps: timesteps), timesteps: timesteps.map(Float.init))
            let loss = Loss.mse(prediction, noise)
            optimizer.zeroGrad()
            loss.backward()
            clipGradientNorm(model.parameters, maxNorm: 1)
            optimizer.step()
        }
        model.eval()
        let noisy = Tensor.randomNormal([batchSize, 1, 28, 28], using: &rng)
        let times = [Float](repeating: 500, count: batchSize)
        let sample = secondsPerCall(budget: budget / 2, warmup: 1) {
            withoutGradients { _ = model(noisy, timesteps: times) }
        }
        return [
            BenchmarkResult(name: "diffusion_train", value: 1 / train, unit: "steps/s"),
            BenchmarkResult(name: "diffusion_sample", value: 1000 * sample, unit: "ms/step"),
        ]
    }
}
