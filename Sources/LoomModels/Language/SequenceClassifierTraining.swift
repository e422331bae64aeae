import Foundation
import LoomCore
import LoomNN
import LoomTensor
import LoomText

/// Labelled texts encoded for a `SequenceClassifier`: each text's first `context` tokens
/// and its label's index.
public struct LabelledSequences {
    public var sequences: [[Int32]]
    public var labels: [Int32]

    public var count: Int { sequences.count }

    public init(sequences: [[Int32]], labels: [Int32]) {
        precondition(sequences.count == labels.count, "one label per sequence")
        self.sequences = sequences
        self.labels = labels
    }

    /// Encodes `examples`; a label outside `labelNames` is an error naming `source`. Texts
    /// longer than `context` tokens keep their beginning; an empty text becomes one token 0.
    public static func encode(_ examples: [LabelledText], tokenizer: any Tokenizer, labelNames: [String],
                              context: Int, source: String) throws -> LabelledSequences {
        let index = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($0.element, Int32($0.offset)) })
        var sequences: [[Int32]] = [], labels: [Int32] = []
        sequences.reserveCapacity(examples.count)
        for (number, example) in examples.enumerated() {
            guard let label = index[example.label] else {
                throw LoomError("\(source): example \(number + 1) has label '\(example.label)', which is not one of the "
                                + "\(labelNames.count) labels the classifier knows (\(labelNames.prefix(8).joined(separator: ", "))…)")
            }
            let ids = try tokenizer.encode(example.text).prefix(context).map { Int32(truncatingIfNeeded: $0) }
            sequences.append(ids.isEmpty ? [0] : ids)
            labels.append(label)
        }
        return LabelledSequences(sequences: sequences, labels: labels)
    }
}

/// How a classifier is fine-tuned.
public struct FinetuningOptions {
    public var epochs = 5
    public var batchSize = 16
    public var learningRate: Float = 3e-4
    public var weightDecay: Float = 0.01
    public var gradientClip: Float = 1.0
    /// Weigh each class by n / (classes · its count), for unbalanced data.
    public var classWeights = false
    /// Epochs without a better validation accuracy before stopping.
    public var patience = 2
    public var seed: UInt64 = 1
    public init() {}
}

public enum FinetuningEvent {
    case step(step: Int, totalSteps: Int, loss: Float)
    case epoch(epoch: Int, trainLoss: Float, validationAccuracy: Float?, improved: Bool)
    case stoppedEarly(epoch: Int, bestEpoch: Int)
}

/// Fine-tunes a `SequenceClassifier` with AdamW and a cosine decay to a tenth of the rate,
/// evaluating validation accuracy after every epoch; the weights of the best epoch are
/// kept and restored at the end (early stopping after `patience` epochs without gain).
/// A run stopped by `shouldStop` leaves `state` and `bestWeights` ready for a resumable
/// checkpoint; `resume(from:)` then continues it to exactly the weights of an unbroken run.
public final class SequenceClassifierTrainer {
    public let classifier: SequenceClassifier
    public let options: FinetuningOptions
    let train: LabelledSequences
    let validation: LabelledSequences?
    public let optimizer: AdamW
    /// Step, epoch, batches done in the epoch, and the generator as it stood at the epoch's start.
    public private(set) var state: TrainerState
    /// Values a resumed run must share with the saved one, by flag name; callers add their own.
    public var settings: [String: String]
    public private(set) var bestAccuracy: Float?
    public private(set) var bestEpoch = 0
    /// The best epoch's weights so far (copies), restored into the classifier when the run ends.
    public private(set) var bestWeights: [(String, Tensor)]?
    /// Whether the last `run` stopped on request before its epochs were done.
    public private(set) var wasInterrupted = false
    var stopping: EarlyStopping
    var epochLossSum: Double = 0

    /// The name of the best weights' file inside a resumable checkpoint.
    public static let bestWeightsFile = "best.safetensors"

    public init(classifier: SequenceClassifier, train: LabelledSequences, validation: LabelledSequences?, options: FinetuningOptions) {
        self.classifier = classifier
        self.train = train
        self.validation = validation
        self.options = options
        optimizer = AdamW(parameters: classifier.trainableParameters, learningRate: options.learningRate,
                          weightDecay: options.weightDecay)
        state = TrainerState(generator: RandomGenerator(seed: options.seed ^ 0xF17E_7E57))
        stopping = EarlyStopping(mode: .max, patience: max(options.patience, 1))
        settings = ["epochs": "\(options.epochs)", "batch-size": "\(options.batchSize)", "lr": "\(options.learningRate)",
                    "weight-decay": "\(options.weightDecay)", "gradient-clip": "\(options.gradientClip)",
                    "class-weights": "\(options.classWeights)", "patience": "\(options.patience)", "seed": "\(options.seed)",
                    "train": "\(train.count) examples, fingerprint \(Self.fingerprint(train))",
                    "val": validation.map { "\($0.count) examples, fingerprint \(Self.fingerprint($0))" } ?? "none"]
    }

    public var stepsPerEpoch: Int { (train.count + options.batchSize - 1) / options.batchSize }

    /// Runs the remaining epochs; returns how many are complete. `shouldStop` is polled
    /// before every step: when it says yes the run returns at once with `wasInterrupted`
    /// set and the current (not the best) weights in the classifier.
    @discardableResult
    public func run(shouldStop: () -> Bool = { false }, report: (FinetuningEvent) -> Void = { _ in }) throws -> Int {
        wasInterrupted = false
        let total = stepsPerEpoch * options.epochs
        let schedule = CosineDecay(initial: options.learningRate, minimum: options.learningRate / 10, totalSteps: max(total, 1))
        let weights = options.classWeights
            ? SequenceClassifier.balancedWeights(labels: train.labels, classes: classifier.labels.count) : nil
        while state.epoch < options.epochs {
            let epoch = state.epoch + 1
            // The epoch's order comes from the generator as it stood at the epoch's start, so
            // a resumed run replays the same permutation and skips the batches already done.
            var epochGenerator = state.generator ?? RandomGenerator(seed: options.seed ^ 0xF17E_7E57)
            var order = Array(0..<train.count)
            order.shuffle(using: &epochGenerator)
            classifier.train()
            for batchIndex in state.dataPosition..<stepsPerEpoch {
                if shouldStop() {
                    wasInterrupted = true
                    return state.epoch
                }
                let start = batchIndex * options.batchSize
                let picked = order[start..<min(start + options.batchSize, order.count)]
                optimizer.learningRate = schedule.learningRate(at: state.step)
                optimizer.zeroGrad()
                let loss = classifier.loss(picked.map { train.sequences[$0] }, labels: picked.map { train.labels[$0] },
                                           classWeights: weights)
                let value = loss.item
                loss.backward()
                let norm = options.gradientClip > 0
                    ? optimizer.clipGradientNorm(maxNorm: options.gradientClip)
                    : clipGradientNorm(optimizer.parameters.map(\.parameter), maxNorm: .infinity)
                // Fine-tuning saves only when it ends or is interrupted, so no checkpoint to point at.
                try DivergenceCheck.check(loss: value, gradientNorm: norm, step: state.step + 1,
                                          learningRate: optimizer.learningRate, gradientClip: options.gradientClip, clipFlag: nil)
                optimizer.step()
                state.step += 1
                state.dataPosition = batchIndex + 1
                epochLossSum += Double(value) * Double(picked.count)
                report(.step(step: state.step, totalSteps: total, loss: value))
            }
            state.epoch = epoch
            state.dataPosition = 0
            state.generator = epochGenerator
            let trainLoss = Float(epochLossSum / Double(max(train.count, 1)))
            epochLossSum = 0
            guard let validation else {
                report(.epoch(epoch: epoch, trainLoss: trainLoss, validationAccuracy: nil, improved: true))
                continue
            }
            let accuracy = Self.accuracy(classifier, validation)
            let improved = stopping.update(metric: accuracy)
            if improved {
                bestAccuracy = accuracy
                bestEpoch = epoch
                bestWeights = classifier.stateDict().map { ($0.0, $0.1.copied()) }
            }
            report(.epoch(epoch: epoch, trainLoss: trainLoss, validationAccuracy: accuracy, improved: improved))
            if stopping.shouldStop, epoch < options.epochs {
                report(.stoppedEarly(epoch: epoch, bestEpoch: bestEpoch))
                break
            }
        }
        if let bestWeights { try classifier.load(stateDict: bestWeights) }
        return state.epoch
    }

    /// The trainer state to save beside the current weights and the optimizer.
    public func checkpointState() -> TrainerState {
        var saved = state
        saved.layerGenerators = classifier.randomGeneratorStates()
        saved.earlyStopping = stopping
        saved.notes = settings.reduce(into: [:]) { $0["setting " + $1.key] = $1.value }
        saved.notes["epoch_loss_sum"] = "\(epochLossSum)"
        saved.notes["best_epoch"] = "\(bestEpoch)"
        if let bestAccuracy { saved.notes["best_val_accuracy"] = "\(bestAccuracy)" }
        return saved
    }

    /// Continues the run saved in `directory`: weights, optimizer, position, early stopping
    /// and the best weights so far. The settings must equal the saved run's.
    public func resume(from directory: URL) throws {
        let trainerPath = directory.appendingPathComponent(Checkpoint.trainerFile).path
        guard Checkpoint.canResume(from: directory) else {
            throw LoomError("--resume: \(directory.path) holds no optimizer.safetensors and trainer.json to resume from "
                            + "(it is a finished run; start a new one with --force)")
        }
        let saved = try Checkpoint.readTrainerState(from: directory)
        for key in settings.keys.sorted() {
            let old = saved.notes["setting " + key] ?? "unset"
            guard old == settings[key] else {
                throw LoomError("--resume: --\(key) \(settings[key]!) differs from the run saved in \(directory.path) (\(old)); "
                                + "resume with the same settings, or start a new run with --force")
            }
        }
        guard saved.generator != nil, let savedStopping = saved.earlyStopping else {
            throw LoomError("\(trainerPath): no generator or early-stopping state to resume from")
        }
        try Checkpoint.loadModel(into: classifier, from: directory)
        try Checkpoint.loadOptimizer(optimizer, from: directory)
        try classifier.restoreRandomGenerators(saved.layerGenerators, file: trainerPath)
        let bestURL = directory.appendingPathComponent(Self.bestWeightsFile)
        if FileManager.default.fileExists(atPath: bestURL.path) {
            let best = try SafeTensors.read(bestURL)
            bestWeights = try best.names.map { name in
                guard let tensor = best.tensors[name] else { throw LoomError("\(bestURL.path): no tensor '\(name)'") }
                return (name, tensor)
            }
        } else {
            bestWeights = nil
        }
        state = saved
        stopping = savedStopping
        epochLossSum = Double(saved.notes["epoch_loss_sum"] ?? "") ?? 0
        bestEpoch = Int(saved.notes["best_epoch"] ?? "") ?? 0
        bestAccuracy = saved.notes["best_val_accuracy"].flatMap(Float.init)
    }

    /// A hash of the encoded examples, so a resumed run can tell it is fed the same data.
    static func fingerprint(_ data: LabelledSequences) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: Int32) { hash = (hash ^ UInt64(UInt32(bitPattern: value))) &* 0x100_0000_01B3 }
        for (sequence, label) in zip(data.sequences, data.labels) {
            mix(label); mix(Int32(sequence.count))
            sequence.forEach(mix)
        }
        return String(hash, radix: 16)
    }

    /// The fraction of `data` the classifier labels correctly.
    public static func accuracy(_ classifier: SequenceClassifier, _ data: LabelledSequences, batchSize: Int = 64) -> Float {
        let predictions = predictions(classifier, data.sequences, batchSize: batchSize)
        let correct = zip(predictions, data.labels).filter { $0.0 == Int($0.1) }.count
        return Float(correct) / Float(max(data.count, 1))
    }

    /// Predicted label indices, computed in batches of similar length (less padding).
    public static func predictions(_ classifier: SequenceClassifier, _ sequences: [[Int32]], batchSize: Int = 64) -> [Int] {
        let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
        var result = [Int](repeating: 0, count: sequences.count)
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let picked = Array(order[start..<min(start + batchSize, order.count)])
            for (i, prediction) in zip(picked, classifier.predict(picked.map { sequences[$0] })) { result[i] = prediction }
        }
        return result
    }
}
