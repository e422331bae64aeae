import LoomTensor

/// The WGAN-GP critic loss, E[D(fake)] − E[D(real)] + λ·E[(‖∇ₓD(x̂)‖ − 1)²] at points x̂
/// between real and generated images, with its exact parameter gradient.
///
/// The penalty's gradient with respect to the weights θ differentiates a gradient, and the
/// engine's backward pass is not itself recorded. The critic is piecewise linear (convolutions,
/// a linear map, leaky ReLUs), which gives that gradient another way. Per image b, with
/// gᵦ = ∇ₓD(x̂ᵦ) and the constant uᵦ = 2λ(‖gᵦ‖ − 1)/‖gᵦ‖ · gᵦ,
///
///     ∇θ λ/B Σᵦ (‖gᵦ(θ)‖ − 1)²  =  ∇θ 1/B Σᵦ ⟨gᵦ(θ), uᵦ⟩,
///
/// and ⟨gᵦ, uᵦ⟩ is D's derivative at x̂ᵦ along uᵦ: the "tangent" pass that sends uᵦ through
/// the convolutions and the linear map without their biases and multiplies by each leaky
/// ReLU's slope at the primal pre-activation. That pass is recorded by the ordinary tape
/// from the same weight tensors, so backward of its sum gives the penalty's gradient. The
/// slopes depend on θ only through which side of zero a pre-activation lies, so their
/// derivative is zero almost everywhere and holding them constant is exact. Biases reach
/// the input gradient only through those slopes: the penalty's bias gradient is zero.
public struct CriticLoss {
    /// Backward of this scalar gives the exact gradient of `value`; its own value differs.
    public let objective: Tensor
    /// E[D(fake)] − E[D(real)] + penalty.
    public let value: Float
    /// E[D(real)] − E[D(fake)]: the critic's estimate of the Wasserstein distance.
    public let wassersteinEstimate: Float
    /// λ·E[(‖∇ₓD(x̂)‖ − 1)²].
    public let penalty: Float
    /// ‖∇ₓD(x̂ᵦ)‖ per image.
    public let gradientNorms: [Float]
}

extension DCGANDiscriminator {
    /// The critic loss on a real and a generated batch (same shape, neither tracked), with
    /// x̂ᵦ = εᵦ·realᵦ + (1 − εᵦ)·fakeᵦ.
    public func criticLoss(real: Tensor, fake: Tensor, epsilon: [Float], penaltyWeight: Float) -> CriticLoss {
        precondition(real.shape == fake.shape && epsilon.count == real.shape[0], "critic loss: mismatched batches")
        let batch = real.shape[0]
        // One pass over both batches: without batch norm an image's score is its own.
        let scores = self(Tensor.concat([real.detached(), fake.detached()], axis: 0))
        let signs = Tensor(shape: [2 * batch, 1], values: (0..<2 * batch).map { $0 < batch ? -1 / Float(batch) : 1 / Float(batch) })
        let wasserstein = (scores * signs).sum()

        let points = Self.interpolate(real, fake, epsilon)
        let (gradient, slopes) = inputGradient(at: points)
        let (direction, penalty, norms) = Self.penaltyDirection(gradient, weight: penaltyWeight)
        let surrogate = tangent(direction, slopes: slopes).sum() * (1 / Float(batch))
        let objective = wasserstein + surrogate
        return CriticLoss(objective: objective, value: wasserstein.item + penalty,
                          wassersteinEstimate: -wasserstein.item, penalty: penalty, gradientNorms: norms)
    }

    static func interpolate(_ real: Tensor, _ fake: Tensor, _ epsilon: [Float]) -> Tensor {
        let batch = real.shape[0], size = real.count / max(batch, 1)
        let out = Tensor(uninitializedShape: real.shape)
        for b in 0..<batch {
            let e = epsilon[b]
            for i in b * size..<(b + 1) * size { out.pointer[i] = e * real.pointer[i] + (1 - e) * fake.pointer[i] }
        }
        return out
    }

    /// ∇ₓ of Σᵦ D(xᵦ) (each image's own gradient, as scores do not mix images) and the
    /// leaky ReLUs' slopes, from one pass that leaves the weights' gradients untouched.
    func inputGradient(at points: Tensor) -> (gradient: Tensor, slopes: [Tensor]) {
        precondition(norm2 == nil, "the gradient penalty needs a critic without batch norm")
        let x = points.copied().requiringGradient()
        let first = Tensor.conv2d(x, weight: conv1.weight.tensor.detached(), bias: conv1.bias?.tensor.detached(),
                                  stride: conv1.stride, padding: conv1.padding)
        let second = Tensor.conv2d(first.leakyRelu(slope: Self.slope), weight: conv2.weight.tensor.detached(),
                                   bias: conv2.bias?.tensor.detached(), stride: conv2.stride, padding: conv2.padding)
        let scores = Tensor.linear(second.leakyRelu(slope: Self.slope).flattened(from: 1),
                                   weight: classify.weight.tensor.detached(), bias: classify.bias?.tensor.detached())
        scores.backward(seed: Tensor(ones: scores.shape))
        guard let gradient = x.grad else { preconditionFailure("the critic's input gradient is missing") }
        return (gradient.copied(), [Self.slopes(of: first), Self.slopes(of: second)])
    }

    /// The derivative of the leaky ReLU at each pre-activation, as a constant tensor.
    static func slopes(of preActivation: Tensor) -> Tensor {
        let out = Tensor(uninitializedShape: preActivation.shape)
        for i in 0..<preActivation.count { out.pointer[i] = preActivation.pointer[i] > 0 ? 1 : slope }
        return out
    }

    /// uᵦ = 2λ(‖gᵦ‖ − 1)/‖gᵦ‖ · gᵦ (zero where gᵦ is zero), the penalty λ/B Σ(‖gᵦ‖ − 1)²
    /// and the norms, summed in double precision.
    static func penaltyDirection(_ gradient: Tensor, weight: Float) -> (Tensor, Float, [Float]) {
        let batch = gradient.shape[0], size = gradient.count / max(batch, 1)
        let direction = Tensor(zeros: gradient.shape)
        var total = 0.0, norms: [Float] = []
        for b in 0..<batch {
            let g = gradient.pointer + b * size
            var squares = 0.0
            for i in 0..<size { squares += Double(g[i]) * Double(g[i]) }
            let norm = squares.squareRoot()
            norms.append(Float(norm))
            total += (norm - 1) * (norm - 1)
            guard norm > 0 else { continue }
            let scale = Float(2 * Double(weight) * (norm - 1) / norm)
            for i in 0..<size { direction.pointer[b * size + i] = scale * g[i] }
        }
        return (direction, Float(Double(weight) * total / Double(max(batch, 1))), norms)
    }

    /// D's directional derivative at the primal points along `direction`, one per image
    /// (B, 1), recorded against the weights (not the biases, which it does not involve).
    func tangent(_ direction: Tensor, slopes: [Tensor]) -> Tensor {
        let first = Tensor.conv2d(direction, weight: conv1.weight.tensor, bias: nil, stride: conv1.stride, padding: conv1.padding)
        let second = Tensor.conv2d(first * slopes[0], weight: conv2.weight.tensor, bias: nil,
                                   stride: conv2.stride, padding: conv2.padding)
        return Tensor.linear((second * slopes[1]).flattened(from: 1), weight: classify.weight.tensor, bias: nil)
    }
}
