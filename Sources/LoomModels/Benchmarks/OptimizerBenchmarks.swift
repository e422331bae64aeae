import Foundation
import LoomTensor
import LoomNN

extension EngineBenchmarks {
    /// Optimizer steps over GPT-block-shaped parameters (four 1024×1024 matrices and four
    /// 1024-vectors, 4.2 M floats), in millions of parameters per second. The baseline is
    /// memcpy of the same parameters, the floor for any pass over them.
    public static func optimizers(budget: Double = 1.0) -> [BenchmarkResult] {
        var rng = RandomGenerator(seed: 3)
        var parameters: [(String, Parameter)] = []
        for i in 0..<4 {
            parameters.append(("h.\(i).weight", Parameter(.randomNormal([1024, 1024], std: 0.02, using: &rng))))
            parameters.append(("h.\(i).bias", Parameter(Tensor(zeros: [1024]))))
        }
        for (_, p) in parameters { rng.fillNormal(p.value.node!.gradBuffer(), count: p.count, std: 1e-3) }
        let count = parameters.reduce(0) { $0 + $1.1.count }
        let millions = Double(count) / 1e6
        let scratch = TensorStorage(count: count)
        let copy = secondsPerCall(budget: budget) {
            var offset = 0
            for (_, p) in parameters { memcpy(scratch.pointer + offset, p.value.pointer, p.count * 4); offset += p.count }
        }
        let adamw = AdamW(parameters: parameters, learningRate: 1e-4, weightDecay: 0.1)
        let sgd = SGD(parameters: parameters, learningRate: 1e-4, momentum: 0.9, nesterov: true)
        let adamStep = secondsPerCall(budget: budget) { adamw.step() }
        let sgdStep = secondsPerCall(budget: budget) { sgd.step() }
        let clip = secondsPerCall(budget: budget) { clipGradientNorm(parameters.map(\.1), maxNorm: .greatestFiniteMagnitude) }
        func result(_ name: String, _ seconds: Double) -> BenchmarkResult {
            BenchmarkResult(name: name, value: millions / seconds, unit: "Mparams/s",
                            baseline: millions / copy, baselineName: "memcpy")
        }
        return [result("adamw_step", adamStep), result("sgd_nesterov_step", sgdStep), result("clip_grad_norm", clip)]
    }
}
