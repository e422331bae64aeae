/// Inverted dropout: kept elements are scaled by 1/(1-p) during training, so evaluation
/// needs no change. The mask comes from the caller's generator.
extension Tensor {
    public func dropout(probability p: Float, using rng: inout RandomGenerator) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability \(p) outside [0, 1)")
        if p == 0 { return self }
        let n = count
        let mask = TensorStorage(count: n)
        let keep = 1 / (1 - p)
        let m = mask.pointer
        for i in 0..<n { m[i] = rng.nextFloat() < p ? 0 : keep }
        let out = TensorStorage(count: n)
        let x = pointer, o = out.pointer
        for i in 0..<n { o[i] = x[i] * m[i] }
        return Tensor.result(shape: shape, storage: out, inputs: [self]) { [self, mask] g in
            let m = mask.pointer
            guard let gx = self.gradBuffer() else { return }
            for i in 0..<n { gx[i] += g[i] * m[i] }
        }
    }
}
