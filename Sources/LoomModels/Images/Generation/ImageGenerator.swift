import Foundation
import LoomTensor

/// Settings shared by every image generator's training run (`loom images train`).
public struct ImageGeneratorOptions: Codable, Equatable {
    public var steps = 5000
    public var batchSize = 64
    public var learningRate: Float = 2e-4
    public var seed: UInt64 = 0
    /// Mirror each training image left-right with probability one half.
    public var flips = false
    /// Steps between checkpoints; a checkpoint is also written at the end and on interrupt.
    public var saveEvery = 500
    /// Model-specific values by name ("beta" and "kl_warmup" for the VAE, "label_smoothing"
    /// for the GAN); a model ignores names it does not use.
    public var settings: [String: Float] = [:]
    /// Model-specific choices by name ("loss" for the GAN: "non-saturating" or "wgan-gp");
    /// a model ignores names it does not use.
    public var choices: [String: String] = [:]

    public init() {}
}

/// What a training run reports as it goes; the CLI turns these into progress and log lines.
public enum ImageGeneratorEvent {
    /// `losses` are the step's named scalars, e.g. ("loss", 0.03) or ("d_loss", ..), ("g_loss", ..).
    case step(step: Int, totalSteps: Int, losses: [(name: String, value: Float)])
    case saved(step: Int, directory: URL)
}

/// A generator's training run: VAE, GAN or diffusion. A checkpoint directory holds
/// config.json (with `kind`), model.safetensors (every network, EMA copies included),
/// the optimizer state and trainer.json, so `resume` continues the same run.
public protocol ImageGeneratorTraining: AnyObject {
    /// The `kind` in config.json and the value of `--model`.
    static var kind: String { get }
    /// A fresh run of the model's default architecture for images shaped like `train`'s.
    init(train: ImageDataset, options: ImageGeneratorOptions)
    /// The run saved in `directory`, ready to continue.
    static func resume(from directory: URL, train: ImageDataset, options: ImageGeneratorOptions) throws -> Self
    var step: Int { get }
    /// Trains to `options.steps`, saving every `options.saveEvery` steps and at the end.
    /// `shouldStop` is polled between steps; when it returns true the run saves and throws
    /// `TrainingInterrupted`.
    func run(saveTo directory: URL, shouldStop: () -> Bool, report: (ImageGeneratorEvent) -> Void) throws
}

/// A trained generator loaded for sampling (`loom images sample`, `loom images score`).
public protocol ImageGeneratorSampler {
    static var kind: String { get }
    static func load(from directory: URL) throws -> Self
    /// `count` new images (count, C, H, W) in [-1, 1]. `steps` is the sampler's step count
    /// where the model has one (diffusion); nil means the model's default. Equal seeds give
    /// equal images.
    func sample(count: Int, steps: Int?, seed: UInt64) throws -> Tensor
}
