import Foundation
import LoomCore
import LoomNN
import LoomTensor
import LoomText

/// Self-supervised next-token training of any `LanguageModel` (nanoGPT's `train.py`):
/// random windows from the training stream, AdamW with decay only on matrices, linear
/// warmup and cosine decay, gradient clipping and accumulation, periodic evaluation on
/// fixed train and validation windows, samples, `metrics.jsonl` and `loss.svg`, and
/// checkpoints that resume bit for bit.
///
/// Everything random is drawn from generators saved in the checkpoint: the data stream
/// (its state *is* the data position), and each dropout layer's own generator.
/// Evaluation and samples use generators derived from the seed alone, so they never
/// disturb the training stream.
public final class Pretrainer<Config: ModelConfiguration & Equatable> {
    public static var metricsFile: String { "metrics.jsonl" }
    public static var plotFile: String { "loss.svg" }
    public static var tokenizerFile: String { "tokenizer.json" }
    static var optionsNote: String { "pretraining" }
    static var fingerprintNote: String { "train_fingerprint" }

    public let model: any LanguageModel
    public let config: Config
    public let tokenizer: any Tokenizer
    public let data: TokenData
    public let options: PretrainingOptions
    let optimizer: AdamW
    public private(set) var state: TrainerState
    /// The step of the newest checkpoint on disk, if any.
    public private(set) var lastSavedStep: Int?
    private var resumedAt: Int?

    public init(model: any LanguageModel, config: Config, tokenizer: any Tokenizer, data: TokenData,
                options: PretrainingOptions) throws {
        try options.validate()
        let needed = model.contextLength + 1
        guard data.train.count >= needed, data.validation.count >= needed else {
            throw LoomError("the training data (\(data.train.count) tokens) or validation data (\(data.validation.count) tokens) "
                            + "is shorter than one context window of \(needed) tokens")
        }
        guard tokenizer.vocabSize <= model.vocabularySize else {
            throw LoomError("the tokenizer has \(tokenizer.vocabSize) tokens but the model only \(model.vocabularySize)")
        }
        self.model = model
        self.config = config
        self.tokenizer = tokenizer
        self.data = data
        var options = options
        if options.shards == nil { options.shards = PretrainingOptions.defaultShards(batch: options.batchSize) }
        self.options = options
        optimizer = AdamW(parameters: model.trainableParameters, learningRate: options.learningRate,
                          beta1: options.beta1, beta2: options.beta2, weightDecay: options.weightDecay)
        state = TrainerState(generator: RandomGenerator(seed: options.seed ^ 0xDA7A_5EED_0000_0001))
    }

    public var context: Int { model.contextLength }
    public var tokensPerStep: Int { options.tokensPerStep(context: context) }

    /// The options saved in a checkpoint's trainer state, for a resumed run to reuse.
    public static func savedOptions(in directory: URL) throws -> PretrainingOptions? {
        let state = try Checkpoint.readTrainerState(from: directory)
        guard let text = state.notes[optionsNote] else { return nil }
        do { return try JSONDecoder().decode(PretrainingOptions.self, from: Data(text.utf8)) } catch {
            throw LoomError("\(directory.appendingPathComponent(Checkpoint.trainerFile).path): pretraining options do not parse: \(error)")
        }
    }

    /// Continues the run saved in `directory`. The model configuration, the corpus and
    /// every setting that shapes the trajectory must be those of the saved run; each
    /// difference is an error that names it.
    public func resume(from directory: URL) throws {
        let trainerPath = directory.appendingPathComponent(Checkpoint.trainerFile).path
        guard Checkpoint.canResume(from: directory) else {
            throw LoomError("\(directory.path): no optimizer.safetensors and trainer.json to resume from")
        }
        let saved = try Checkpoint.readConfig(Config.self, from: directory)
        guard saved == config else {
            throw LoomError("--resume: the model configuration differs from the checkpoint's: \(Self.differences(saved, config)). "
                            + "A resumed run keeps its model; start a new run (--force) to change it")
        }
        if let savedOptions = try Self.savedOptions(in: directory) {
            let old = savedOptions.trajectory, new = options.trajectory
            for key in old.keys.sorted() where old[key] != new[key] {
                throw LoomError("--resume: --\(key) \(new[key]!) differs from the run saved in \(directory.path) (\(old[key]!)); "
                                + "resuming continues the same run, so keep its settings or start a new run with --force")
            }
        }
        let trainerState = try Checkpoint.readTrainerState(from: directory)
        if let fingerprint = trainerState.notes[Self.fingerprintNote], fingerprint != data.train.fingerprint {
            throw LoomError("--resume: the corpus does not encode to the tokens the run in \(directory.path) was trained on "
                            + "(changed corpus or tokenizer)")
        }
        guard trainerState.generator != nil else { throw LoomError("\(trainerPath): no data generator state to resume from") }
        try Checkpoint.loadModel(into: model, from: directory)
        try Checkpoint.loadOptimizer(optimizer, from: directory)
        try model.restoreRandomGenerators(trainerState.layerGenerators, file: trainerPath)
        state = trainerState
        lastSavedStep = state.step
        resumedAt = state.step
    }

    /// Trains until `options.steps`, saving to `directory` every `saveEvery` steps and at
    /// the end. `shouldStop` is polled between steps: the run then saves and throws
    /// `TrainingInterrupted`. A non-finite loss or gradient stops the run without saving
    /// (`DivergenceCheck`).
    /// Past `deadline`, the run ends early as if it had reached its last step (final
    /// evaluation and checkpoint), and can be resumed later.
    @discardableResult
    public func run(saveTo directory: URL, deadline: Date? = nil, shouldStop: () -> Bool = { false },
                    report: (PretrainingEvent) -> Void = { _ in }) throws -> PretrainingSummary {
        let metrics = MetricsLog(url: directory.appendingPathComponent(Self.metricsFile))
        if let resumedAt { try metrics.truncate(afterStep: resumedAt) } else { try metrics.reset() }
        let schedule = WarmupCosine(maximum: options.learningRate, minimum: options.minimumLearningRate,
                                    warmupSteps: options.warmupSteps, decaySteps: options.scheduleDecaySteps)
        let batch = options.batchSize, length = context, microBatches = options.gradientAccumulation
        var generator = state.generator ?? RandomGenerator(seed: options.seed)
        var trainingSeconds = 0.0, trainedSteps = 0
        model.train()
        let startedAt = Date()

        while state.step < options.steps {
            let step = state.step
            if options.evalEvery > 0, step % options.evalEvery == 0, step != resumedAt {
                let (train, validation) = evaluate(batches: options.evalBatches)
                metrics.append(["step": step, "train_loss": train, "val_loss": validation])
                report(.evaluation(step: step, trainLoss: train, validationLoss: validation))
            }
            if let deadline, Date() >= deadline, trainedSteps > 0 { break }
            if shouldStop() {
                try save(to: directory, metrics: metrics, report: report)
                throw TrainingInterrupted(step: state.step, directory: directory)
            }
            let began = Date()
            let learningRate = schedule.learningRate(at: step)
            optimizer.learningRate = learningRate
            optimizer.zeroGrad()
            var total: Double = 0
            for _ in 0..<microBatches {
                let (inputs, targets) = data.train.randomBatch(batch: batch, length: length, using: &generator)
                let parts = shardRows(batch: batch)
                let losses = ShardedGradients.run(
                    parameters: optimizer.parameters.map(\.parameter), dropouts: dropouts,
                    weights: parts.map { Float($0.count) / Float(batch * microBatches) }
                ) { shard in
                    let tokens = parts[shard].lowerBound * length..<parts[shard].upperBound * length
                    return model.loss(tokens: Array(inputs[tokens]), targets: Array(targets[tokens]),
                                      batch: parts[shard].count, length: length)
                }
                for (part, value) in zip(parts, losses) { total += Double(value) * Double(part.count) / Double(batch) }
            }
            let loss = Float(total / Double(microBatches))
            let norm = options.gradientClip > 0
                ? optimizer.clipGradientNorm(maxNorm: options.gradientClip)
                : clipGradientNorm(optimizer.parameters.map(\.parameter), maxNorm: .infinity)
            try DivergenceCheck.check(loss: loss, gradientNorm: norm, step: step + 1, learningRate: learningRate,
                                      gradientClip: options.gradientClip,
                                      lastCheckpoint: lastSavedStep.map { "\(directory.path) (step \($0))" })
            optimizer.step()
            state.step += 1
            state.dataPosition += microBatches
            state.generator = generator
            let seconds = Date().timeIntervalSince(began)
            trainingSeconds += seconds
            trainedSteps += 1
            let rate = Double(trainedSteps * tokensPerStep) / max(trainingSeconds, 1e-9)
            metrics.append(["step": state.step, "loss": loss, "lr": learningRate, "grad_norm": norm,
                            "ms": (seconds * 1000 * 100).rounded() / 100, "tokens_per_s": rate.rounded()])
            report(.step(step: state.step, loss: loss, learningRate: learningRate, gradientNorm: norm,
                         milliseconds: seconds * 1000, tokensPerSecond: rate))
            if options.sampleEvery > 0, state.step % options.sampleEvery == 0 {
                report(.sample(step: state.step, text: sample(tokens: options.sampleTokens, seed: options.seed &+ UInt64(state.step))))
            }
            if options.saveEvery > 0, state.step % options.saveEvery == 0, state.step < options.steps {
                try save(to: directory, metrics: metrics, report: report)
            }
        }

        let (train, validation) = evaluate(batches: options.finalEvalBatches)
        metrics.append(["step": state.step, "train_loss": train, "val_loss": validation, "final": true])
        report(.evaluation(step: state.step, trainLoss: train, validationLoss: validation))
        try save(to: directory, metrics: metrics, report: report)
        let elapsed = Date().timeIntervalSince(startedAt)
        return PretrainingSummary(steps: state.step, trainLoss: train, validationLoss: validation,
                                  tokensPerSecond: Double(trainedSteps * tokensPerStep) / max(trainingSeconds, 1e-9),
                                  seconds: elapsed)
    }

    /// The model's dropout layers, which draw one generator per shard.
    private lazy var dropouts: [Dropout] = model.namedModules().compactMap { $0.1 as? Dropout }

    /// The rows of a batch each data-parallel shard computes (`ShardedGradients`).
    func shardRows(batch: Int) -> [Range<Int>] {
        let shards = model.trainsInShards ? Swift.min(options.shards ?? 1, batch) : 1
        return (0..<shards).map { s in s * batch / shards..<(s + 1) * batch / shards }
    }

    /// Mean loss over `batches` windows of the training and of the validation stream. The
    /// windows are the same at every evaluation (drawn from seed-derived generators).
    public func evaluate(batches: Int) -> (train: Float, validation: Float) {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        return withoutGradients {
            (estimate(data.train, batches: batches, salt: 0x7241_494E),
             estimate(data.validation, batches: batches, salt: 0x5641_4C49))
        }
    }

    private func estimate(_ stream: TokenStream, batches: Int, salt: UInt64) -> Float {
        var generator = RandomGenerator(seed: options.seed ^ salt)
        var total: Double = 0
        for _ in 0..<batches {
            let (inputs, targets) = stream.randomBatch(batch: options.batchSize, length: context, using: &generator)
            total += Double(model.loss(tokens: inputs, targets: targets, batch: options.batchSize, length: context).item)
        }
        return Float(total / Double(batches))
    }

    /// A text sample continuing a newline (or the first validation token when the
    /// tokenizer has no newline), decoded with the run's tokenizer.
    public func sample(tokens count: Int, seed: UInt64, temperature: Float = 1, topK: Int = 200) -> String {
        var prompt = ((try? tokenizer.encode("\n")) ?? []).map { Int32($0) }
        if prompt.isEmpty || prompt.contains(where: { Int($0) >= model.vocabularySize }) { prompt = [data.validation.tokens[0]] }
        var generator = RandomGenerator(seed: seed)
        let produced = PretrainingSampler.continuation(of: prompt, model: model, count: count, temperature: temperature,
                                                       topK: topK, using: &generator)
        return (try? tokenizer.decode(produced.map(Int.init))) ?? ""
    }

    /// Writes the checkpoint: tokenizer, weights, optimizer, trainer state (config last),
    /// then the loss plot.
    public func save(to directory: URL) throws {
        let metrics = MetricsLog(url: directory.appendingPathComponent(Self.metricsFile))
        try save(to: directory, metrics: metrics, report: { _ in })
    }

    private func save(to directory: URL, metrics: MetricsLog, report: (PretrainingEvent) -> Void) throws {
        state.layerGenerators = model.randomGeneratorStates()
        let encoded = try JSONEncoder().encode(options)
        state.notes[Self.optionsNote] = String(decoding: encoded, as: UTF8.self)
        state.notes[Self.fingerprintNote] = data.train.fingerprint
        state.notes["train_tokens"] = "\(data.train.count)"
        state.notes["val_tokens"] = "\(data.validation.count)"
        try Checkpoint.save(module: model, config: config, to: directory, optimizer: optimizer, trainerState: state) { staging in
            try tokenizer.save(to: staging.appendingPathComponent(Self.tokenizerFile).path)
        }
        try LossPlot.write(from: metrics, to: directory.appendingPathComponent(Self.plotFile))
        lastSavedStep = state.step
        report(.saved(step: state.step, directory: directory))
    }

    /// "n_layer 4 → 6, n_head ..." for two configs, compared field by field as JSON.
    static func differences(_ old: Config, _ new: Config) -> String {
        func fields(_ c: Config) -> [String: String] {
            guard let data = try? JSONEncoder().encode(c),
                  let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return [:] }
            return object.mapValues { "\($0)" }
        }
        let a = fields(old), b = fields(new)
        let changed = Set(a.keys).union(b.keys).sorted().filter { a[$0] != b[$0] }
        return changed.map { "\($0) \(a[$0] ?? "none") in the checkpoint, \(b[$0] ?? "none") now" }.joined(separator: "; ")
    }
}
