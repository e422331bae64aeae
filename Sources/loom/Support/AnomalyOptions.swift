import ArgumentParser
import Loom

/// `--detect-anomaly` for the training verbs.
struct AnomalyOptions: ParsableArguments {
    @Flag(name: .customLong("detect-anomaly"),
          help: "Check every op's output and gradients for NaN or infinity and name the first op that made one (slow; to find why a run diverged).")
    var detectAnomaly = false

    func apply() {
        if detectAnomaly { AnomalyDetection.enable() }
    }
}
