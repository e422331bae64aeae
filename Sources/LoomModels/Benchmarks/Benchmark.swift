import Foundation

/// One measured figure of `loom bench`.
public struct BenchmarkResult: Codable {
    public let name: String
    public let value: Double
    public let unit: String
    /// A figure measured in the same run to compare against (e.g. bare sgemm), when there is one.
    public let baseline: Double?
    public let baselineName: String?

    public init(name: String, value: Double, unit: String, baseline: Double? = nil, baselineName: String? = nil) {
        self.name = name
        self.value = value
        self.unit = unit
        self.baseline = baseline
        self.baselineName = baselineName
    }

    public var ratio: Double? { baseline.map { value / $0 } }
}

/// The engine's own workloads; each area adds its functions in an extension.
public enum EngineBenchmarks {
    /// Seconds per call of `body`: the median of repeated timings after a warm-up,
    /// repeating until about `budget` seconds have passed.
    public static func secondsPerCall(budget: Double = 1.0, warmup: Int = 2, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var samples: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < budget || samples.count < 3
        samples.sort()
        return samples[samples.count / 2]
    }
}
