import Foundation
import LoomCore
import LoomNN
import LoomTensor

/// Run settings for training an encoder-decoder (kept apart from the model's config).
public struct Seq2SeqTrainingOptions {
    public var steps = 20_000
    public var batchSize = 64
    public var learningRate: Float = 2e-3
    public var minimumLearningRate: Float = 5e-5
    public var warmupSteps = 200
    public var clipNorm: Float = 1.0
    /// Scheduled sampling: the chance of feeding the model's own prediction rises linearly
    /// from 0 to this value over the run.
    public var samplingProbability: Float = 0
    public var evaluateEvery = 1000
    public var logEvery = 100
    public var seed: UInt64 = 1
    public init() {}
}

public enum Seq2SeqTrainingEvent {
    case step(step: Int, totalSteps: Int, loss: Float)
    case evaluation(step: Int, trainLoss: Float, validationLoss: Float)
}

/// Trains a `Seq2SeqModel` with Adam, warmup then cosine decay and gradient clipping,
/// on length-bucketed batches. A resumable checkpoint is saved at every evaluation and
/// on interrupt; the best model by validation loss is kept in `best/`.
public final class Seq2SeqTrainer {
    public let model: Seq2SeqModel
    public let vocabularies: Seq2SeqVocabularies
    public let options: Seq2SeqTrainingOptions
    let train: Seq2SeqDataset
    let validation: Seq2SeqDataset?
    let optimizer: Adam
    var state: TrainerState
    /// The step of the checkpoint on disk, named when training diverges.
    private var lastSavedStep: Int?

    public init(model: Seq2SeqModel, vocabularies: Seq2SeqVocabularies, train: Seq2SeqDataset,
                validation: Seq2SeqDataset?, options: Seq2SeqTrainingOptions) {
        self.model = model
        self.vocabularies = vocabularies
        self.train = train
        self.validation = validation
        self.options = options
        optimizer = Adam(model, learningRate: options.learningRate)
        state = TrainerState(generator: RandomGenerator(seed: options.seed))
    }

    public var step: Int { state.step }
    public var bestValidationLoss: Float? { state.bestValidationLoss }

    public func resume(from directory: URL) throws {
        try Checkpoint.loadModel(into: model, from: directory)
        try Checkpoint.loadOptimizer(optimizer, from: directory)
        state = try Checkpoint.readTrainerState(from: directory)
        lastSavedStep = state.step
        if let words = state.notes["model_generator"], let g = Self.generator(words) { model.generator = g }
    }

    func learningRate(at step: Int) -> Float {
        WarmupCosine(maximum: options.learningRate, minimum: options.minimumLearningRate,
                     warmupSteps: min(options.warmupSteps, options.steps - 1), decaySteps: max(options.steps, 1))
            .learningRate(at: step)
    }

    public func run(saveTo directory: URL, shouldStop: () -> Bool = { false },
                    report: (Seq2SeqTrainingEvent) -> Void) throws {
        var lossSum: Double = 0, lossCount = 0
        while state.step < options.steps {
            // The epoch's batches come from the generator as saved at the epoch's start, so a
            // resumed run replays the same order and skips the batches already done.
            var epochGenerator = state.generator ?? RandomGenerator(seed: options.seed)
            let batches = train.epochBatches(batchSize: options.batchSize, using: &epochGenerator)
            var samplingGenerator = RandomGenerator(seed: options.seed ^ UInt64(state.step &* 7919))
            model.train()
            for index in state.dataPosition..<batches.count {
                if state.step >= options.steps { break }
                if shouldStop() {
                    try save(to: directory)
                    throw TrainingInterrupted(step: state.step, directory: directory)
                }
                let sampling = options.samplingProbability * Float(state.step) / Float(max(options.steps, 1))
                let loss = model.loss(train.batch(batches[index]), samplingProbability: sampling, rng: &samplingGenerator)
                let value = loss.item
                optimizer.zeroGrad()
                loss.backward()
                let norm = optimizer.clipGradientNorm(maxNorm: options.clipNorm)
                optimizer.learningRate = learningRate(at: state.step)
                try DivergenceCheck.check(loss: value, gradientNorm: norm, step: state.step + 1,
                                          learningRate: optimizer.learningRate, gradientClip: options.clipNorm,
                                          lastCheckpoint: lastSavedStep.map { "\(directory.path) (step \($0))" }, clipFlag: nil)
                optimizer.step()
                state.step += 1
                state.dataPosition = index + 1
                lossSum += Double(value); lossCount += 1
                report(.step(step: state.step, totalSteps: options.steps, loss: value))
                if state.step % options.evaluateEvery == 0 || state.step == options.steps {
                    try evaluateAndSave(directory, trainLoss: Float(lossSum / Double(max(lossCount, 1))), report: report)
                    lossSum = 0; lossCount = 0
                    model.train()
                }
            }
            if state.dataPosition >= batches.count {
                state.epoch += 1
                state.dataPosition = 0
                state.generator = epochGenerator
            }
        }
    }

    private func evaluateAndSave(_ directory: URL, trainLoss: Float, report: (Seq2SeqTrainingEvent) -> Void) throws {
        let validationLoss = validation.map { Self.loss(model, $0) } ?? trainLoss
        report(.evaluation(step: state.step, trainLoss: trainLoss, validationLoss: validationLoss))
        if state.bestValidationLoss == nil || validationLoss < state.bestValidationLoss! {
            state.bestValidationLoss = validationLoss
            let best = directory.appendingPathComponent("best")
            try Checkpoint.save(module: model, config: model.config, to: best) { try vocabularies.save(to: $0) }
        }
        try save(to: directory)
    }

    func save(to directory: URL) throws {
        state.notes["model_generator"] = model.generator.state.map { String($0, radix: 16) }.joined(separator: " ")
        try Checkpoint.save(module: model, config: model.config, to: directory, optimizer: optimizer, trainerState: state) {
            try vocabularies.save(to: $0)
        }
        lastSavedStep = state.step
    }

    static func generator(_ words: String) -> RandomGenerator? {
        let values = words.split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard values.count == 4, values.contains(where: { $0 != 0 }) else { return nil }
        return RandomGenerator(state: values)
    }

    /// Mean cross-entropy per target token with teacher forcing, in evaluation mode.
    public static func loss(_ model: Seq2SeqModel, _ data: Seq2SeqDataset, batchSize: Int = 256) -> Float {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var total: Double = 0, tokens = 0
        var rng = RandomGenerator(seed: 0)
        withoutGradients {
            for indices in data.evaluationBatches(batchSize: batchSize) {
                let batch = data.batch(indices)
                let n = batch.targetTokens
                total += Double(model.loss(batch, rng: &rng).item) * Double(n)
                tokens += n
            }
        }
        return Float(total / Double(max(tokens, 1)))
    }
}

/// Loads a trained model and its vocabularies from a checkpoint directory.
public func loadSeq2SeqModel(from directory: URL) throws -> (Seq2SeqModel, Seq2SeqVocabularies) {
    let config = try Checkpoint.readConfig(Seq2SeqConfig.self, from: directory)
    let vocabularies = try Seq2SeqVocabularies.load(from: directory)
    guard vocabularies.source.count == config.sourceVocabularySize, vocabularies.target.count == config.targetVocabularySize else {
        throw LoomError("\(directory.path): \(Seq2SeqVocabularies.file) has \(vocabularies.source.count) source and \(vocabularies.target.count) target tokens, but config.json expects \(config.sourceVocabularySize) and \(config.targetVocabularySize)")
    }
    var rng = RandomGenerator(seed: 0)
    let model = Seq2SeqModel(config, using: &rng)
    try Checkpoint.loadModel(into: model, from: directory)
    model.eval()
    return (model, vocabularies)
}
