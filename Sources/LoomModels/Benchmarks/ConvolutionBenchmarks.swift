import LoomTensor

/// Convolution workloads: the second convolution of the Fashion-MNIST classifier
/// (batch 64, 32 -> 64 channels, 14x14, kernel 3, padding 1), and the classifier's whole
/// forward and backward pass built from engine ops.
extension EngineBenchmarks {
    public static func convolution(budget: Double = 1.0) -> [BenchmarkResult] {
        var rng = RandomGenerator(seed: 1)
        let (batch, inChannels, outChannels, side, kernel) = (64, 32, 64, 14, 3)
        let x = Tensor.randomNormal([batch, inChannels, side, side], using: &rng).requiringGradient()
        let weight = Tensor.randomNormal([outChannels, inChannels, kernel, kernel], std: 0.05, using: &rng).requiringGradient()
        let bias = Tensor.randomNormal([outChannels], using: &rng).requiringGradient()
        let seed = Tensor.randomNormal([batch, outChannels, side, side], using: &rng)

        // One GEMM of 2·M·N·K flops each for the output, the weight gradient and the input gradient.
        let gemmFlops = 2.0 * Double(outChannels * inChannels * kernel * kernel * batch * side * side)

        let forward = secondsPerCall(budget: budget) {
            _ = withoutGradients { Tensor.conv2d(x, weight: weight, bias: bias, padding: 1) }
        }
        let training = secondsPerCall(budget: budget) {
            let y = Tensor.conv2d(x, weight: weight, bias: bias, padding: 1)
            y.backward(seed: seed)
        }
        let bare = bareGemmSeconds(rows: inChannels * kernel * kernel, columns: batch * side * side, outChannels: outChannels, budget: budget)

        let cnn = ClassifierWorkload(batch: 64, using: &rng)
        let step = secondsPerCall(budget: budget) { cnn.step() }

        return [
            BenchmarkResult(name: "conv2d_forward_64x32x14x14_k3", value: gemmFlops / forward / 1e9, unit: "GFLOP/s",
                            baseline: gemmFlops / bare.forward / 1e9, baselineName: "sgemm alone"),
            BenchmarkResult(name: "conv2d_forward_backward_64x32x14x14_k3", value: 3 * gemmFlops / training / 1e9,
                            unit: "GFLOP/s", baseline: 3 * gemmFlops / bare.all / 1e9, baselineName: "sgemm alone"),
            BenchmarkResult(name: "cnn_forward_backward_batch64", value: Double(cnn.batch) / step, unit: "images/s"),
        ]
    }

    /// The three GEMMs of a convolution step on their own, as the ceiling im2col can reach.
    private static func bareGemmSeconds(rows: Int, columns: Int, outChannels: Int, budget: Double) -> (forward: Double, all: Double) {
        let a = TensorStorage(count: outChannels * rows, repeating: 0.01)
        let b = TensorStorage(count: rows * columns, repeating: 0.02)
        let c = TensorStorage(count: outChannels * columns, repeating: 0)
        let forward = secondsPerCall(budget: budget) {
            sgemm(transposeA: false, transposeB: false, m: outChannels, n: columns, k: rows, a: a.pointer, b: b.pointer, c: c.pointer)
        }
        let all = secondsPerCall(budget: budget) {
            sgemm(transposeA: false, transposeB: false, m: outChannels, n: columns, k: rows, a: a.pointer, b: b.pointer, c: c.pointer)
            sgemm(transposeA: false, transposeB: true, m: outChannels, n: rows, k: columns,
                  a: c.pointer, b: b.pointer, beta: 1, c: a.pointer)
            sgemm(transposeA: true, transposeB: false, m: rows, n: columns, k: outChannels, a: a.pointer, b: c.pointer, c: b.pointer)
        }
        return (forward, all)
    }
}

/// The Fashion-MNIST classifier (Conv-BN-ReLU-MaxPool twice, Linear-ReLU-Dropout-Linear) as
/// bare engine ops on leaf tensors: one forward and backward pass per `step()`, without an
/// optimizer, so the figure isolates the engine's kernels.
private final class ClassifierWorkload {
    let batch: Int
    let images: Tensor
    let labels: [Int32]
    let weights: [Tensor]
    let runningStatistics: [Tensor]
    var rng: RandomGenerator

    init(batch: Int, using rng: inout RandomGenerator) {
        self.batch = batch
        images = Tensor.randomNormal([batch, 1, 28, 28], using: &rng)
        labels = (0..<batch).map { _ in Int32(rng.nextInt(below: 10)) }
        func leaf(_ shape: [Int], _ scale: Float) -> Tensor {
            Tensor.randomUniform(shape, low: -scale, high: scale, using: &rng).requiringGradient()
        }
        weights = [
            leaf([32, 1, 3, 3], 1 / 3), leaf([32], 1 / 3), Tensor(ones: [32]).requiringGradient(), Tensor(zeros: [32]).requiringGradient(),
            leaf([64, 32, 3, 3], 0.06), leaf([64], 0.06), Tensor(ones: [64]).requiringGradient(), Tensor(zeros: [64]).requiringGradient(),
            leaf([128, 3136], 0.018), leaf([128], 0.018), leaf([10, 128], 0.09), leaf([10], 0.09),
        ]
        runningStatistics = [Tensor(zeros: [32]), Tensor(ones: [32]), Tensor(zeros: [64]), Tensor(ones: [64])]
        self.rng = rng.split()
    }

    func step() {
        let w = weights, s = runningStatistics
        var h = Tensor.conv2d(images, weight: w[0], bias: w[1], padding: 1)
        h = h.batchNorm(weight: w[2], bias: w[3], runningMean: s[0], runningVar: s[1], training: true).relu().maxPool2d(kernel: 2)
        h = Tensor.conv2d(h, weight: w[4], bias: w[5], padding: 1)
        h = h.batchNorm(weight: w[6], bias: w[7], runningMean: s[2], runningVar: s[3], training: true).relu().maxPool2d(kernel: 2)
        h = Tensor.linear(h.flattened(), weight: w[8], bias: w[9]).relu().dropout(probability: 0.3, using: &rng)
        Tensor.linear(h, weight: w[10], bias: w[11]).crossEntropy(targets: labels).backward()
        for t in w { t.node?.grad?.zero() }
    }
}
