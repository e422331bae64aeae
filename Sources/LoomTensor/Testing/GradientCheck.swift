/// Finite-difference gradient checking, used by the tests of every differentiable op.
///
/// The op's output is reduced to a scalar as `sum(f(x) * R)` with a fixed random `R`,
/// so every output element contributes. Analytic gradients come from `backward()`;
/// numeric ones from central differences, accumulated in Double to limit rounding.
public struct GradientCheckReport: CustomStringConvertible {
    /// Largest |analytic - numeric| / (1 + |numeric|) over the checked elements.
    public var worstError: Double = 0
    public var worstPlace = ""
    public var checkedElements = 0

    public var description: String { "worst error \(worstError) at \(worstPlace) over \(checkedElements) elements" }
}

public func checkGradients(
    _ inputs: [Tensor], epsilon: Float = 1e-2, maxElementsPerInput: Int = 48, seed: UInt64 = 7,
    _ f: ([Tensor]) -> Tensor
) -> GradientCheckReport {
    var rng = RandomGenerator(seed: seed)
    let leaves = inputs.map { $0.copied().requiringGradient() }
    let output = f(leaves)
    let weights = Tensor.randomNormal(output.shape, using: &rng)
    (output * weights).sum().backward()

    func objective() -> Double {
        let y = withoutGradients { f(leaves) }
        var total: Double = 0
        for i in 0..<y.count { total += Double(y.pointer[i]) * Double(weights.pointer[i]) }
        return total
    }

    var report = GradientCheckReport()
    for (which, leaf) in leaves.enumerated() {
        let analytic = leaf.grad?.scalars ?? Array(repeating: 0, count: leaf.count)
        var positions = Array(0..<leaf.count)
        if positions.count > maxElementsPerInput {
            positions.shuffle(using: &rng)
            positions = Array(positions.prefix(maxElementsPerInput))
        }
        for i in positions {
            let saved = leaf.pointer[i]
            leaf.pointer[i] = saved + epsilon
            let up = objective()
            leaf.pointer[i] = saved - epsilon
            let down = objective()
            leaf.pointer[i] = saved
            let numeric = (up - down) / (2 * Double(epsilon))
            let error = Swift.abs(Double(analytic[i]) - numeric) / (1 + Swift.abs(numeric))
            report.checkedElements += 1
            if error > report.worstError {
                report.worstError = error
                report.worstPlace = "input \(which) element \(i): analytic \(analytic[i]), numeric \(numeric)"
            }
        }
    }
    return report
}
