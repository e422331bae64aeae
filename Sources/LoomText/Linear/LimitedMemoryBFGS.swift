/// Minimizes a smooth function with limited-memory BFGS (Nocedal & Wright, algorithm 7.4) and a
/// backtracking line search that enforces the Armijo condition.
struct LimitedMemoryBFGS {
    var memory = 10
    var maximumIterations = 200
    /// Stop when the objective improves by less than this fraction of its value.
    var relativeTolerance = 1e-10
    /// Stop when no gradient component exceeds this (scipy's `gtol`, which scikit-learn sets to 1e-4).
    var gradientTolerance = 1e-4

    struct Outcome {
        var value: Double
        var iterations: Int
        var values: [Double]
    }

    /// `objective(x, &gradient)` returns f(x) and writes ∇f(x). `x` is updated in place.
    func minimize(_ x: inout [Double], objective: ([Double], inout [Double]) -> Double,
                  progress: ((Int, Double) -> Void)? = nil) -> Outcome {
        let n = x.count
        var gradient = [Double](repeating: 0, count: n)
        var value = objective(x, &gradient)
        var values = [value]
        var steps: [[Double]] = [], gradientChanges: [[Double]] = [], inverseCurvatures: [Double] = []
        var direction = [Double](repeating: 0, count: n)
        var candidate = [Double](repeating: 0, count: n)
        var candidateGradient = [Double](repeating: 0, count: n)
        var alpha = [Double](repeating: 0, count: memory)
        var iteration = 0
        while iteration < maximumIterations {
            let gradientNorm = dot(gradient, gradient).squareRoot()
            if gradient.allSatisfy({ abs($0) <= gradientTolerance }) { break }
            // Two-loop recursion: direction = -H ∇f.
            for i in 0..<n { direction[i] = -gradient[i] }
            for k in stride(from: steps.count - 1, through: 0, by: -1) {
                alpha[k] = inverseCurvatures[k] * dot(steps[k], direction)
                axpy(-alpha[k], gradientChanges[k], &direction)
            }
            if let last = steps.indices.last {
                let scale = dot(steps[last], gradientChanges[last]) / dot(gradientChanges[last], gradientChanges[last])
                for i in 0..<n { direction[i] *= scale }
            } else {
                for i in 0..<n { direction[i] /= gradientNorm }
            }
            for k in 0..<steps.count {
                let beta = inverseCurvatures[k] * dot(gradientChanges[k], direction)
                axpy(alpha[k] - beta, steps[k], &direction)
            }
            var slope = dot(gradient, direction)
            if slope >= 0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                steps.removeAll(); gradientChanges.removeAll(); inverseCurvatures.removeAll()
                for i in 0..<n { direction[i] = -gradient[i] / gradientNorm }
                slope = -gradientNorm
            }
            var step = 1.0
            var newValue = 0.0
            var accepted = false
            for _ in 0..<40 {
                for i in 0..<n { candidate[i] = x[i] + step * direction[i] }
                newValue = objective(candidate, &candidateGradient)
                if newValue <= value + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            if !accepted { break }
            var s = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
            for i in 0..<n {
                s[i] = candidate[i] - x[i]
                y[i] = candidateGradient[i] - gradient[i]
            }
            let curvature = dot(s, y)
            if curvature > 1e-12 {
                if steps.count == memory { steps.removeFirst(); gradientChanges.removeFirst(); inverseCurvatures.removeFirst() }
                steps.append(s); gradientChanges.append(y); inverseCurvatures.append(1 / curvature)
            }
            swap(&x, &candidate)
            swap(&gradient, &candidateGradient)
            let previous = value
            value = newValue
            values.append(value)
            iteration += 1
            progress?(iteration, value)
            if previous - value <= relativeTolerance * max(abs(value), 1) { break }
        }
        return Outcome(value: value, iterations: iteration, values: values)
    }

    @inline(__always) private func dot(_ a: [Double], _ b: [Double]) -> Double {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var sum = 0.0
                for i in 0..<a.count { sum += a[i] * b[i] }
                return sum
            }
        }
    }

    @inline(__always) private func axpy(_ scale: Double, _ a: [Double], _ b: inout [Double]) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeMutableBufferPointer { b in
                for i in 0..<a.count { b[i] += scale * a[i] }
            }
        }
    }
}
