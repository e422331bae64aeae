import Foundation

/// Binary cross-entropy from logits as one fused op, so that neither `sigmoid` nor `log`
/// of a probability is ever formed: each element costs max(x, 0) - x·t + log(1 + e^-|x|),
/// which cannot overflow for any x.
extension Tensor {
    /// Mean binary cross-entropy of `sigmoid(self)` against `targets` (probabilities in
    /// [0, 1], same shape). Backward by hand: d/dx = (sigmoid(x) - t) / n, d/dt = -x / n.
    public func binaryCrossEntropyWithLogits(targets: Tensor) -> Tensor {
        precondition(targets.shape == shape, "binary cross-entropy targets \(targets.shape) differ from logits \(shape)")
        let n = count, x = pointer, t = targets.pointer
        var total: Double = 0
        for i in 0..<n {
            let v = x[i]
            total += Double(Swift.max(v, 0) - v * t[i] + Foundation.log1p(Foundation.exp(-Swift.abs(v))))
        }
        let out = TensorStorage(count: 1, repeating: n == 0 ? Float.nan : Float(total / Double(n)))
        let scale = 1 / Float(Swift.max(n, 1))
        return Tensor.result(shape: [], storage: out, inputs: [self, targets]) { [self, targets] g in
            let s = g[0] * scale
            if let gx = self.gradBuffer() {
                for i in 0..<n { gx[i] += s * (stableSigmoid(x[i]) - t[i]) }
            }
            if let gt = targets.gradBuffer() {
                for i in 0..<n { gt[i] -= s * x[i] }
            }
        }
    }
}
