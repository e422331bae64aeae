import Foundation
import LoomNN
import LoomTensor

/// A trained VAE loaded for sampling from the prior, reconstructing and interpolating.
public struct VAESampler: ImageGeneratorSampler {
    public static let kind = VAEConfig.kind
    public let model: VAE
    /// Images decoded per forward pass; it changes results only by rounding.
    public var chunk = 500

    public init(model: VAE) {
        self.model = model
        model.eval()
    }

    public static func load(from directory: URL) throws -> VAESampler {
        let config = try Checkpoint.readConfig(VAEConfig.self, from: directory)
        var rng = RandomGenerator(seed: 0)
        let model = VAE(config, using: &rng)
        try Checkpoint.loadModel(into: model, from: directory)
        return VAESampler(model: model)
    }

    /// Decodes codes drawn from the prior N(0, I); `steps` does not apply to a VAE.
    public func sample(count: Int, steps: Int?, seed: UInt64) throws -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let codes = Tensor.randomNormal([count, model.config.latent], using: &rng)
        return decode(codes)
    }

    /// Images for codes (N, latent), decoded `chunk` at a time.
    public func decode(_ codes: Tensor) -> Tensor {
        withoutGradients {
            let parts = stride(from: 0, to: codes.shape[0], by: chunk).map { start in
                model.decode(codes.slice(axis: 0, start..<min(start + chunk, codes.shape[0])))
            }
            return parts.isEmpty ? Tensor(zeros: [0, model.config.channels, model.config.height, model.config.width])
                                 : Tensor.concat(parts, axis: 0)
        }
    }

    /// The posterior means (N, latent) of images (N, C, H, W).
    public func encodeMeans(_ images: Tensor) -> Tensor {
        withoutGradients {
            let parts = stride(from: 0, to: images.shape[0], by: chunk).map { start in
                model.encode(images.slice(axis: 0, start..<min(start + chunk, images.shape[0]))).mean
            }
            return Tensor.concat(parts, axis: 0)
        }
    }

    /// Each image passed through the encoder's mean and the decoder.
    public func reconstruct(_ images: Tensor) -> Tensor {
        decode(encodeMeans(images))
    }

    /// For each pair (starts[i], ends[i]) of images, `columns` images decoded from codes
    /// evenly spaced on the line between the two posterior means: (pairs·columns, C, H, W),
    /// one row of the grid per pair, the first and last columns being the two reconstructions.
    public func interpolate(from starts: Tensor, to ends: Tensor, columns: Int) -> Tensor {
        precondition(starts.shape == ends.shape && columns >= 2, "interpolation needs paired images and two or more columns")
        let a = encodeMeans(starts), b = encodeMeans(ends)
        let pairs = a.shape[0], latent = a.shape[1]
        let codes = Tensor(uninitializedShape: [pairs * columns, latent])
        for pair in 0..<pairs {
            for column in 0..<columns {
                let t = Float(column) / Float(columns - 1)
                for j in 0..<latent {
                    let index = pair * latent + j
                    codes.pointer[(pair * columns + column) * latent + j] = (1 - t) * a.pointer[index] + t * b.pointer[index]
                }
            }
        }
        return decode(codes)
    }
}
