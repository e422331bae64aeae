import Foundation
import LoomTensor

extension EngineBenchmarks {
    /// Tensor.matmul against a bare `cblas_sgemm` into a preallocated output, in GFLOP/s.
    public static func matmul(sizes: [Int] = [256, 512, 1024, 2048], budget: Double = 1.0) -> [BenchmarkResult] {
        var rng = RandomGenerator(seed: 1)
        return sizes.map { n in
            let a = Tensor.randomNormal([n, n], using: &rng), b = Tensor.randomNormal([n, n], using: &rng)
            let c = Tensor(zeros: [n, n])
            let flops = 2 * Double(n) * Double(n) * Double(n)
            // Alternate the two in short rounds and keep each one's best, so a burst of load
            // from elsewhere on the machine does not land on one side only.
            var bare = Double.infinity, tensor = Double.infinity
            for _ in 0..<3 {
                bare = min(bare, secondsPerCall(budget: budget / 3) {
                    sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, a: a.pointer, b: b.pointer, c: c.pointer)
                })
                tensor = min(tensor, secondsPerCall(budget: budget / 3) { _ = Tensor.matmul(a, b) })
            }
            return BenchmarkResult(name: "matmul_\(n)", value: flops / tensor / 1e9, unit: "GFLOP/s",
                                   baseline: flops / bare / 1e9, baselineName: "bare cblas_sgemm")
        }
    }

    /// Elementwise add and a full sum in GB/s of memory touched, against memcpy of the same
    /// buffer (which touches 2 bytes per byte copied: one read, one write).
    public static func memoryBound(count: Int = 1 << 24, budget: Double = 1.0) -> [BenchmarkResult] {
        var rng = RandomGenerator(seed: 2)
        let a = Tensor.randomNormal([count], using: &rng), b = Tensor.randomNormal([count], using: &rng)
        let destination = Tensor(zeros: [count])
        let bytes = Double(count * 4)
        let copy = secondsPerCall(budget: budget) {
            memcpy(destination.pointer, a.pointer, count * 4)
        }
        let copyRate = 2 * bytes / copy / 1e9
        let add = secondsPerCall(budget: budget) { _ = a + b }
        let mul = secondsPerCall(budget: budget) { _ = a * b }
        let relu = secondsPerCall(budget: budget) { _ = a.relu() }
        let sum = secondsPerCall(budget: budget) { _ = a.sum() }
        return [
            BenchmarkResult(name: "add_\(count)", value: 3 * bytes / add / 1e9, unit: "GB/s", baseline: copyRate, baselineName: "memcpy"),
            BenchmarkResult(name: "mul_\(count)", value: 3 * bytes / mul / 1e9, unit: "GB/s", baseline: copyRate, baselineName: "memcpy"),
            BenchmarkResult(name: "relu_\(count)", value: 2 * bytes / relu / 1e9, unit: "GB/s", baseline: copyRate, baselineName: "memcpy"),
            BenchmarkResult(name: "sum_\(count)", value: bytes / sum / 1e9, unit: "GB/s", baseline: copyRate, baselineName: "memcpy"),
        ]
    }
}
