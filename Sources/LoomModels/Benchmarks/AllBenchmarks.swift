extension EngineBenchmarks {
    /// Every workload of `loom bench`, by area, in the order they run.
    public static func all(budget: Double) -> [(String, () -> [BenchmarkResult])] {
        [
            ("matmul", { matmul(budget: budget) }),
            ("memory", { memoryBound(budget: budget) }),
            ("optimizers", { optimizers(budget: budget) }),
            ("convolution", { convolution() }),
            ("cnn", { imageClassifier(budget: 2 * budget) }),
            ("diffusion", { diffusion(budget: 2 * budget) }),
        ]
    }
}
