import Foundation
import LoomNN
import LoomTensor

/// The reverse process: turning noise into images with a trained ε-predicting U-Net.
///
/// Both samplers estimate x̂₀ = (x_t - √(1-ᾱ_t)·ε̂)/√ᾱ_t, optionally clip it to [-1, 1] and
/// then re-derive ε̂ from the clipped x̂₀, so that clipping keeps the two consistent.
/// - DDPM (ancestral): x_{t-1} = μ̃_t(x_t, x̂₀) + √β̃_t·z for every t from T-1 down to 0.
/// - DDIM (Song et al. 2021) on a subsequence τ of the steps:
///   x_prev = √ᾱ_prev·x̂₀ + √(1 - ᾱ_prev - σ²)·ε̂ + σ·z,
///   σ = η·√((1 - ᾱ_prev)/(1 - ᾱ_t))·√(1 - ᾱ_t/ᾱ_prev).
///   With every step and η = 1, σ² = β̃_t and the update is DDPM's posterior step.
/// Noise is drawn from one generator in a fixed order (x_T, then one z per step that adds
/// noise), so equal seeds give equal images and the two samplers consume noise alike.
public struct DiffusionSampling {
    public let model: UNet
    public let schedule: NoiseSchedule
    /// Clip x̂₀ to the data range [-1, 1] at every step.
    public var clipDenoised = true

    public init(model: UNet, schedule: NoiseSchedule) {
        self.model = model
        self.schedule = schedule
    }

    var imageShape: [Int] { [model.config.imageChannels, model.config.imageHeight, model.config.imageWidth] }

    /// ε̂ at step t for the batch; with labels on a conditional model, classifier-free
    /// guidance mixes the conditional and the null-label predictions by `guidance`.
    func predictNoise(_ x: Tensor, t: Int, labels: [Int32]?, guidance: Float) -> Tensor {
        let batch = x.shape[0]
        let times = [Float](repeating: Float(t), count: batch)
        guard model.config.classes > 0, let labels else { return model(x, timesteps: times) }
        if guidance == 1 { return model(x, timesteps: times, labels: labels) }
        let null = [Int32](repeating: Int32(model.config.classes), count: batch)
        let both = model(Tensor.concat([x, x], axis: 0), timesteps: times + times, labels: labels + null)
        let conditional = both.slice(axis: 0, 0..<batch), unconditional = both.slice(axis: 0, batch..<(2 * batch))
        return unconditional + (conditional - unconditional) * guidance
    }

    /// (x̂₀, ε̂) from x_t and the network's ε̂, clipped when `clipDenoised`.
    func denoised(_ x: Tensor, noise: Tensor, t: Int) -> (x0: Tensor, noise: Tensor) {
        let alphaBar = schedule.alphaBars[t]
        let a = Float(alphaBar.squareRoot()), b = Float((1 - alphaBar).squareRoot())
        let x0 = Tensor(uninitializedShape: x.shape)
        let xp = x.pointer, ep = noise.pointer, op = x0.pointer
        for i in 0..<x.count { op[i] = (xp[i] - b * ep[i]) / a }
        guard clipDenoised else { return (x0, noise) }
        let eps = Tensor(uninitializedShape: x.shape)
        let rp = eps.pointer
        for i in 0..<x.count {
            op[i] = Swift.min(Swift.max(op[i], -1), 1)
            rp[i] = (xp[i] - a * op[i]) / b
        }
        return (x0, eps)
    }

    /// `count` images by DDPM's ancestral sampling over all T steps.
    public func ddpm(count: Int, generator: inout RandomGenerator, labels: [Int32]? = nil, guidance: Float = 1) -> Tensor {
        withoutGradients {
            var x = Tensor.randomNormal([count] + imageShape, using: &generator)
            for t in stride(from: schedule.count - 1, through: 0, by: -1) {
                let (x0, _) = denoised(x, noise: predictNoise(x, t: t, labels: labels, guidance: guidance), t: t)
                let (c0, ct, variance) = schedule.posterior(t)
                let next = Tensor(uninitializedShape: x.shape)
                let a = Float(c0), b = Float(ct), xp = x.pointer, op = x0.pointer, np = next.pointer
                for i in 0..<x.count { np[i] = a * op[i] + b * xp[i] }
                if t > 0 { addNoise(to: next, scale: Float(variance.squareRoot()), generator: &generator) }
                x = next
            }
            return x
        }
    }

    /// The DDIM subsequence: `steps` timesteps spread evenly over 0...T-1, both ends included.
    public func ddimTimesteps(_ steps: Int) -> [Int] {
        let total = schedule.count
        precondition(steps >= 1 && steps <= total, "DDIM needs 1 to \(total) steps, got \(steps)")
        if steps == 1 { return [total - 1] }
        return (0..<steps).map { Int((Double($0) * Double(total - 1) / Double(steps - 1)).rounded()) }
    }

    /// `count` images by DDIM over `steps` of the T steps; η = 0 is deterministic after x_T.
    public func ddim(count: Int, steps: Int, eta: Float, generator: inout RandomGenerator,
                     labels: [Int32]? = nil, guidance: Float = 1) -> Tensor {
        let timesteps = ddimTimesteps(steps)
        return withoutGradients {
            var x = Tensor.randomNormal([count] + imageShape, using: &generator)
            for index in stride(from: timesteps.count - 1, through: 0, by: -1) {
                let t = timesteps[index]
                let (x0, eps) = denoised(x, noise: predictNoise(x, t: t, labels: labels, guidance: guidance), t: t)
                let alphaBar = schedule.alphaBars[t]
                let previous = index > 0 ? schedule.alphaBars[timesteps[index - 1]] : 1
                let sigma = Double(eta) * ((1 - previous) / (1 - alphaBar)).squareRoot() * (1 - alphaBar / previous).squareRoot()
                let a = Float(previous.squareRoot()), b = Float(Swift.max(0, 1 - previous - sigma * sigma).squareRoot())
                let next = Tensor(uninitializedShape: x.shape)
                let op = x0.pointer, ep = eps.pointer, np = next.pointer
                for i in 0..<x.count { np[i] = a * op[i] + b * ep[i] }
                if index > 0 && sigma > 0 { addNoise(to: next, scale: Float(sigma), generator: &generator) }
                x = next
            }
            return x
        }
    }

    func addNoise(to x: Tensor, scale: Float, generator: inout RandomGenerator) {
        let z = Tensor.randomNormal(x.shape, using: &generator)
        let xp = x.pointer, zp = z.pointer
        for i in 0..<x.count { xp[i] += scale * zp[i] }
    }
}
