import LoomNN
import LoomTensor

/// An exponential moving average of a network's weights, kept in a second copy of the
/// network and used for sampling: after each step, e ← d·e + (1 - d)·w.
///
/// The decay warms up as d = min(decay, (1 + n)/(10 + n)) after n updates, so early
/// averages are not dominated by the random initial weights.
public enum ExponentialMovingAverage {
    public static func decay(_ decay: Float, afterUpdates n: Int) -> Float {
        Swift.min(decay, Float(1 + n) / Float(10 + n))
    }

    /// Updates every parameter and buffer of `average` from the same-named one of `model`.
    public static func update(_ average: Module, from model: Module, decay d: Float) {
        let targets = average.namedParameters(), sources = model.namedParameters()
        precondition(targets.count == sources.count, "EMA copy has \(targets.count) tensors, the model \(sources.count)")
        for ((name, target), (sourceName, source)) in zip(targets, sources) {
            precondition(name == sourceName && target.count == source.count, "EMA copy's \(name) does not match \(sourceName)")
            let e = target.value.pointer, w = source.value.pointer
            let keep = d, take = 1 - d
            Parallel.forRanges(target.count) { range in
                for i in range { e[i] = keep * e[i] + take * w[i] }
            }
        }
    }

    /// Makes `average` an exact copy of `model`.
    public static func copy(_ average: Module, from model: Module) {
        for ((_, target), (_, source)) in zip(average.namedParameters(), model.namedParameters()) {
            target.assign(source.value.pointer)
        }
    }
}
