import ArgumentParser
import Foundation
import Loom

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's own workloads (matmul, memory-bound ops, convolution, CNN training).",
        discussion: "Each figure is printed beside a baseline measured in the same run (bare sgemm, memcpy).")

    @Flag(help: "Print one JSON object with every result as the last line of stdout.")
    var json = false

    @Option(help: "Seconds to spend timing each workload.")
    var budget: Double = 1.0

    @Option(help: "Only run workloads whose name contains this text.")
    var only: String?

    func validate() throws {
        guard budget > 0 else { throw ValidationError("--budget must be positive") }
    }

    func run() throws {
        var results: [BenchmarkResult] = []
        for (area, workload) in EngineBenchmarks.all(budget: budget) {
            if let only, !area.contains(only) { continue }
            Output.info("bench: \(area)…")
            for r in workload() {
                results.append(r)
                var line = String(format: "%@: %.2f %@", r.name, r.value, r.unit)
                if let base = r.baseline, let name = r.baselineName, let ratio = r.ratio {
                    line += String(format: "  (%@ %.2f, ratio %.2f)", name, base, ratio)
                }
                print(line)
            }
        }
        if json {
            Output.json(["results": results.map { r -> [String: Any] in
                var o: [String: Any] = ["name": r.name, "value": r.value, "unit": r.unit]
                if let b = r.baseline { o["baseline"] = b; o["ratio"] = r.ratio ?? 0; o["baseline_name"] = r.baselineName ?? "" }
                return o
            }])
        }
    }
}
