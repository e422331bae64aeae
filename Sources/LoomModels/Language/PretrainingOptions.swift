import Foundation
import LoomCore
import LoomTensor

/// How a language model is pretrained (kept apart from the model's config). The defaults
/// are nanoGPT's CPU "baby GPT" run: batch 12, lr 1e-3 with 100 warmup steps and a cosine
/// decay to 1e-4 over 2,000 steps, AdamW β = (0.9, 0.99), weight decay 0.1, clip 1.0.
///
/// Saved with each checkpoint, so `--resume` continues with the same settings.
public struct PretrainingOptions: Codable, Equatable {
    public var batchSize = 12
    public var steps = 2000
    public var learningRate: Float = 1e-3
    public var minimumLearningRate: Float = 1e-4
    public var warmupSteps = 100
    /// The step at which the cosine reaches `minimumLearningRate`; nil means `steps`.
    /// Kept when a resumed run is extended, so the schedule does not jump.
    public var decaySteps: Int?
    public var weightDecay: Float = 0.1
    public var beta1: Float = 0.9
    public var beta2: Float = 0.99
    /// Largest global gradient norm; 0 turns clipping off.
    public var gradientClip: Float = 1.0
    /// Micro-batches whose gradients are summed into one step.
    public var gradientAccumulation = 1
    /// Evaluate every this many steps (0: only at the end).
    public var evalEvery = 250
    public var evalBatches = 20
    /// Batches for the evaluation at the end of the run (a finer estimate to report).
    public var finalEvalBatches = 200
    public var logEvery = 10
    /// Save a checkpoint every this many steps (0: only at the end and on interrupt).
    public var saveEvery = 500
    /// Print a sample every this many steps (0: never).
    public var sampleEvery = 500
    public var sampleTokens = 200
    public var seed: UInt64 = 1
    /// Parts of each batch computed at once on separate cores (`ShardedGradients`); nil
    /// until a run starts, which then takes `defaultShards`. Saved, so a resumed run sums
    /// its gradients in the same order on any machine.
    public var shards: Int?

    /// One shard per core when every core gets a sequence; with fewer sequences than
    /// cores, one shard, so each op splits its work over all the cores instead.
    public static func defaultShards(batch: Int, cores: Int = Parallel.coreCount) -> Int {
        batch >= cores ? cores : 1
    }

    public init() {}

    public var scheduleDecaySteps: Int { decaySteps ?? steps }

    /// Tokens consumed per optimizer step.
    public func tokensPerStep(context: Int) -> Int { batchSize * gradientAccumulation * context }

    /// Checks the settings, naming the flag at fault.
    public func validate() throws {
        func require(_ condition: Bool, _ message: String) throws { if !condition { throw LoomError(message) } }
        try require(batchSize > 0, "--batch-size must be positive, got \(batchSize)")
        try require(steps > 0, "--steps must be positive, got \(steps)")
        try require(learningRate > 0 && learningRate.isFinite, "--lr must be positive, got \(learningRate)")
        try require(minimumLearningRate >= 0 && minimumLearningRate <= learningRate,
                    "--min-lr must lie in [0, --lr], got \(minimumLearningRate)")
        try require(warmupSteps >= 0, "--warmup must not be negative, got \(warmupSteps)")
        try require(scheduleDecaySteps > warmupSteps,
                    "--warmup (\(warmupSteps)) must be smaller than the decay length (\(scheduleDecaySteps) steps)")
        try require(weightDecay >= 0 && weightDecay.isFinite, "--weight-decay must not be negative, got \(weightDecay)")
        try require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "AdamW betas must lie in [0, 1)")
        try require(gradientClip >= 0 && gradientClip.isFinite, "--grad-clip must not be negative, got \(gradientClip)")
        try require(gradientAccumulation > 0, "--grad-accum must be positive, got \(gradientAccumulation)")
        try require(evalEvery >= 0 && saveEvery >= 0 && sampleEvery >= 0 && logEvery >= 0,
                    "--eval-every, --save-every, --sample-every and --log-every must not be negative")
        try require(evalBatches > 0 && finalEvalBatches > 0, "--eval-batches must be positive, got \(evalBatches)")
        try require(sampleTokens > 0, "the sample length must be positive")
        try require((shards ?? 1) > 0, "the number of shards must be positive, got \(shards ?? 0)")
    }

    /// The settings that shape the run's trajectory: changing any of them on resume would
    /// give a run that no uninterrupted run matches. (Steps may grow; reporting may change.)
    public var trajectory: [String: String] {
        ["batch-size": "\(batchSize)", "lr": "\(learningRate)", "min-lr": "\(minimumLearningRate)",
         "warmup": "\(warmupSteps)", "weight-decay": "\(weightDecay)", "grad-clip": "\(gradientClip)",
         "grad-accum": "\(gradientAccumulation)", "seed": "\(seed)", "beta1": "\(beta1)", "beta2": "\(beta2)"]
    }

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", steps, learningRate = "lr", minimumLearningRate = "min_lr"
        case warmupSteps = "warmup", decaySteps = "decay_steps", weightDecay = "weight_decay", beta1, beta2
        case gradientClip = "grad_clip", gradientAccumulation = "grad_accum", evalEvery = "eval_every"
        case evalBatches = "eval_batches", finalEvalBatches = "final_eval_batches", logEvery = "log_every"
        case saveEvery = "save_every", sampleEvery = "sample_every", sampleTokens = "sample_tokens", seed, shards
    }
}

/// What the pretraining loop reports as it goes.
public enum PretrainingEvent {
    /// One optimizer step done: its mean loss, learning rate, gradient norm (before
    /// clipping), wall time and throughput.
    case step(step: Int, loss: Float, learningRate: Float, gradientNorm: Float, milliseconds: Double, tokensPerSecond: Double)
    case evaluation(step: Int, trainLoss: Float, validationLoss: Float)
    case sample(step: Int, text: String)
    case saved(step: Int, directory: URL)
}

/// The result of a pretraining run.
public struct PretrainingSummary {
    public var steps: Int
    public var trainLoss: Float
    public var validationLoss: Float
    public var tokensPerSecond: Double
    public var seconds: Double
}
