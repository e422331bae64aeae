import Foundation
import LoomTensor

/// The sinusoidal timestep embedding of DDPM (Ho et al. 2020, after the Transformer's
/// position encoding), with no parameters.
///
/// For a timestep t and an even dimension d, with h = d/2 frequencies
/// fᵢ = exp(-ln(10000)·i/(h - 1)), i = 0..<h, the embedding is
/// [sin(t·f₀), …, sin(t·f_{h-1}), cos(t·f₀), …, cos(t·f_{h-1})]: sines first, then cosines,
/// as in the reference DDPM code and diffusers' `get_timestep_embedding` with
/// `flip_sin_to_cos=False, downscale_freq_shift=1`.
public enum SinusoidalTimeEmbedding {
    /// `[timesteps.count, dimension]`; timesteps may be fractional.
    public static func embed(_ timesteps: [Float], dimension: Int) -> Tensor {
        precondition(dimension >= 4 && dimension % 2 == 0, "time embedding dimension must be even and at least 4, got \(dimension)")
        let half = dimension / 2
        let step = Foundation.log(10000.0) / Double(half - 1)
        let frequencies = (0..<half).map { Foundation.exp(-Double($0) * step) }
        let out = Tensor(uninitializedShape: [timesteps.count, dimension])
        for (row, t) in timesteps.enumerated() {
            let target = out.pointer + row * dimension
            for i in 0..<half {
                // The product in float32, as the reference computes it, so large t match too.
                let argument = Double(Float(t) * Float(frequencies[i]))
                target[i] = Float(Foundation.sin(argument))
                target[half + i] = Float(Foundation.cos(argument))
            }
        }
        return out
    }
}
