import LoomNN
import LoomTensor

extension EngineBenchmarks {
    /// Training and inference throughput of the Fashion-MNIST classifier at batch 64 on one
    /// fixed random batch (no data loading timed), the workload `tools/benchmarks/cnn.sh`
    /// also runs in PyTorch.
    public static func imageClassifier(batchSize: Int = 64, budget: Double = 2.0) -> [BenchmarkResult] {
        var rng = RandomGenerator(seed: 3)
        let model = ImageClassifier(ImageClassifierConfig(), using: &rng)
        let optimizer = Adam(model, learningRate: 1e-3)
        let images = Tensor.randomNormal([batchSize, 1, 28, 28], using: &rng)
        let labels = (0..<batchSize).map { Int32($0 % 10) }
        model.train()
        let train = secondsPerCall(budget: budget, warmup: 3) {
            let loss = model(images).crossEntropy(targets: labels)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
        }
        model.eval()
        let infer = secondsPerCall(budget: budget / 2, warmup: 2) {
            withoutGradients { _ = model(images) }
        }
        return [
            BenchmarkResult(name: "cnn_train", value: Double(batchSize) / train, unit: "images/s"),
            BenchmarkResult(name: "cnn_eval", value: Double(batchSize) / infer, unit: "images/s"),
        ]
    }
}
