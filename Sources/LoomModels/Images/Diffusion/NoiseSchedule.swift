import Foundation
import LoomTensor

/// The forward (noising) process of a diffusion model over T steps:
/// q(x_t | x_0) = N(√ᾱ_t·x_0, (1 - ᾱ_t)·I), ᾱ_t = Π_{s≤t} (1 - β_s), t = 0..<T.
///
/// Linear: β rises evenly from `betaStart` to `betaEnd` (Ho et al. 2020).
/// Cosine: ᾱ_t = f(t + 1)/f(0), f(u) = cos²((u/T + s)/(1 + s)·π/2), s = 0.008, with each
/// β clipped to 0.999 (Nichol & Dhariwal 2021). The values are computed in double precision.
public struct NoiseSchedule {
    public enum Kind: String, Codable, CaseIterable { case linear, cosine }

    public let betas: [Double]
    public let alphaBars: [Double]

    public init(_ kind: Kind, timesteps: Int, betaStart: Double = 1e-4, betaEnd: Double = 0.02) {
        precondition(timesteps >= 2, "a noise schedule needs at least two steps")
        switch kind {
        case .linear:
            betas = (0..<timesteps).map { betaStart + (betaEnd - betaStart) * Double($0) / Double(timesteps - 1) }
        case .cosine:
            let s = 0.008
            func f(_ u: Double) -> Double {
                let c = Foundation.cos((u / Double(timesteps) + s) / (1 + s) * Double.pi / 2)
                return c * c
            }
            betas = (0..<timesteps).map { Swift.min(1 - f(Double($0 + 1)) / f(Double($0)), 0.999) }
        }
        var product = 1.0
        alphaBars = betas.map { product *= 1 - $0; return product }
    }

    public init(_ config: DiffusionConfig) {
        self.init(config.schedule, timesteps: config.timesteps, betaStart: Double(config.betaStart), betaEnd: Double(config.betaEnd))
    }

    public var count: Int { betas.count }

    /// ᾱ before step t: ᾱ_{t-1}, and 1 for t = 0.
    public func alphaBarBefore(_ t: Int) -> Double { t > 0 ? alphaBars[t - 1] : 1 }

    /// x_t = √ᾱ_t·x_0 + √(1 - ᾱ_t)·ε for each image, with its own t.
    public func noised(_ x0: Tensor, noise: Tensor, timesteps: [Int]) -> Tensor {
        precondition(x0.shape == noise.shape && x0.shape[0] == timesteps.count, "noised: shapes \(x0.shape), \(noise.shape) for \(timesteps.count) steps")
        let size = x0.count / Swift.max(timesteps.count, 1)
        let out = Tensor(uninitializedShape: x0.shape)
        for (i, t) in timesteps.enumerated() {
            let a = Float(alphaBars[t].squareRoot()), b = Float((1 - alphaBars[t]).squareRoot())
            let x = x0.pointer + i * size, e = noise.pointer + i * size, y = out.pointer + i * size
            for j in 0..<size { y[j] = a * x[j] + b * e[j] }
        }
        return out
    }

    /// The mean and variance of the posterior q(x_{t-1} | x_t, x_0) (Ho et al. eq. 7):
    /// μ = c₀·x_0 + c_t·x_t, with c₀ = √ᾱ_{t-1}·β_t/(1 - ᾱ_t), c_t = √α_t·(1 - ᾱ_{t-1})/(1 - ᾱ_t),
    /// and β̃_t = β_t·(1 - ᾱ_{t-1})/(1 - ᾱ_t).
    public func posterior(_ t: Int) -> (x0Coefficient: Double, xtCoefficient: Double, variance: Double) {
        let previous = alphaBarBefore(t), beta = betas[t], current = alphaBars[t]
        return (previous.squareRoot() * beta / (1 - current),
                (1 - beta).squareRoot() * (1 - previous) / (1 - current),
                beta * (1 - previous) / (1 - current))
    }
}
