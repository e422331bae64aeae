import Foundation
import LoomCore
import LoomNN
import LoomTensor

/// Run settings for training the image classifier (kept apart from the model's config).
public struct ImageClassifierTrainingOptions {
    public var epochs = 8
    public var batchSize = 64
    public var learningRate: Float = 2e-3
    public var minimumLearningRate: Float = 1e-5
    public var weightDecay: Float = 1e-4
    public var flips = true
    public var seed: UInt64 = 1
    public var logEvery = 100
    public init() {}
}

/// What the trainer reports as it goes.
public enum ImageClassifierTrainingEvent {
    case step(step: Int, totalSteps: Int, loss: Float)
    case epoch(epoch: Int, step: Int, trainLoss: Float, validationLoss: Float, validationAccuracy: Float)
}

/// Trains an `ImageClassifier` with AdamW and a cosine schedule, evaluating on the
/// validation set after every epoch and saving a resumable checkpoint then. The best
/// model by validation accuracy is kept in `best/` inside the output directory.
public final class ImageClassifierTrainer {
    public let model: ImageClassifier
    public let options: ImageClassifierTrainingOptions
    let train: ImageDataset
    let validation: ImageDataset
    let optimizer: AdamW
    var state: TrainerState
    public private(set) var bestAccuracy: Float = -1

    public init(model: ImageClassifier, train: ImageDataset, validation: ImageDataset, options: ImageClassifierTrainingOptions) {
        self.model = model
        self.train = train
        self.validation = validation
        self.options = options
        optimizer = AdamW(model, learningRate: options.learningRate, weightDecay: options.weightDecay)
        state = TrainerState(generator: RandomGenerator(seed: options.seed))
    }

    public var stepsPerEpoch: Int { (train.count + options.batchSize - 1) / options.batchSize }
    public var totalSteps: Int { stepsPerEpoch * options.epochs }

    /// Continues from the checkpoint in `directory` (weights, optimizer, position).
    public func resume(from directory: URL) throws {
        try Checkpoint.loadModel(into: model, from: directory)
        try Checkpoint.loadOptimizer(optimizer, from: directory)
        state = try Checkpoint.readTrainerState(from: directory)
        try model.restoreRandomGenerators(state.layerGenerators, file: directory.appendingPathComponent(Checkpoint.trainerFile).path)
        bestAccuracy = Float(state.notes["best_val_accuracy"] ?? "") ?? -1
    }

    func learningRate(at step: Int) -> Float {
        let progress = Double(min(step, totalSteps)) / Double(max(totalSteps, 1))
        let cosine = 0.5 * (1 + Foundation.cos(Double.pi * progress))
        return options.minimumLearningRate + Float(cosine) * (options.learningRate - options.minimumLearningRate)
    }

    /// Runs the remaining epochs, saving to `directory` after each; `shouldStop` is polled
    /// between steps so an interrupt ends the run at a step boundary with a checkpoint.
    public func run(saveTo directory: URL, shouldStop: () -> Bool = { false },
                    report: (ImageClassifierTrainingEvent) -> Void) throws {
        while state.epoch < options.epochs {
            // The epoch's order comes from the generator as saved at the epoch's start, so a
            // resumed run replays the same permutation and skips the batches already done.
            var epochGenerator = state.generator ?? RandomGenerator(seed: options.seed)
            var order = Array(0..<train.count)
            order.shuffle(using: &epochGenerator)
            model.train()
            var lossSum: Double = 0, lossCount = 0
            for batchIndex in state.dataPosition..<stepsPerEpoch {
                if shouldStop() {
                    try save(to: directory)
                    throw TrainingInterrupted(step: state.step, directory: directory)
                }
                let start = batchIndex * options.batchSize
                let indices = order[start..<min(start + options.batchSize, train.count)]
                var flipGenerator = RandomGenerator(seed: options.seed &+ 0x9E37_79B9 &* UInt64(state.step + 1))
                let flips = options.flips ? indices.map { _ in flipGenerator.nextFloat() < 0.5 } : nil
                let (images, labels) = train.batch(indices, flips: flips)
                let loss = model(images).crossEntropy(targets: labels)
                let value = loss.item
                optimizer.zeroGrad()
                loss.backward()
                try DivergenceCheck.check(loss: value, step: state.step + 1, learningRate: learningRate(at: state.step),
                                          lastCheckpoint: DivergenceCheck.lastCheckpoint(in: directory), clipFlag: nil)
                optimizer.learningRate = learningRate(at: state.step)
                optimizer.step()
                state.step += 1
                state.dataPosition = batchIndex + 1
                lossSum += Double(value); lossCount += 1
                report(.step(step: state.step, totalSteps: totalSteps, loss: value))
            }
            let (validationLoss, accuracy) = evaluate(validation)
            state.epoch += 1
            state.dataPosition = 0
            state.generator = epochGenerator
            let trainLoss = Float(lossSum / Double(max(lossCount, 1)))
            report(.epoch(epoch: state.epoch, step: state.step, trainLoss: trainLoss,
                          validationLoss: validationLoss, validationAccuracy: accuracy))
            if accuracy > bestAccuracy {
                bestAccuracy = accuracy
                state.bestValidationLoss = validationLoss
                try Checkpoint.save(module: model, config: model.config, to: directory.appendingPathComponent("best"))
            }
            try save(to: directory)
        }
    }

    func save(to directory: URL) throws {
        state.layerGenerators = model.randomGeneratorStates()
        state.notes["best_val_accuracy"] = String(bestAccuracy)
        try Checkpoint.save(module: model, config: model.config, to: directory, optimizer: optimizer, trainerState: state)
    }

    /// Mean loss and accuracy over a dataset, in evaluation mode.
    public func evaluate(_ data: ImageDataset) -> (loss: Float, accuracy: Float) {
        ImageClassifierTrainer.evaluate(model, data)
    }

    public static func evaluate(_ model: ImageClassifier, _ data: ImageDataset, batchSize: Int = 500) -> (loss: Float, accuracy: Float) {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var lossSum: Double = 0, correct = 0
        withoutGradients {
            var start = 0
            while start < data.count {
                let indices = Array(start..<min(start + batchSize, data.count))[...]
                let (images, labels) = data.batch(indices)
                let logits = model(images)
                lossSum += Double(logits.crossEntropy(targets: labels).item) * Double(indices.count)
                for (prediction, label) in zip(logits.argmaxLastAxis(), labels) where prediction == Int(label) { correct += 1 }
                start += batchSize
            }
        }
        let n = Double(max(data.count, 1))
        return (Float(lossSum / n), Float(Double(correct) / n))
    }
}

/// Thrown when a run stops on request after saving its checkpoint.
public struct TrainingInterrupted: Error, CustomStringConvertible {
    public let step: Int
    public let directory: URL
    public var description: String {
        "interrupted at step \(step); checkpoint saved in \(directory.path). Resume with the same command and --resume."
    }
}
