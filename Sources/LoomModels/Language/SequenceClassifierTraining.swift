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
public final class SequenceClassifierTrainer {
    public let classifier: SequenceClassifier
    public let options: FinetuningOptions
    let train: LabelledSequences
    let validation: LabelledSequences?
    let optimizer: AdamW
    public private(set) var bestAccuracy: Float?
    public private(set) var bestEpoch = 0

    public init(classifier: SequenceClassifier, train: LabelledSequences, validation: LabelledSequences?, options: FinetuningOptions) {
        self.classifier = classifier
        self.train = train
        self.validation = validation
        self.options = options
        optimizer = AdamW(parameters: classifier.trainableParameters, learningRate: options.learningRate,
                          weightDecay: options.weightDecay)
    }

    public var stepsPerEpoch: Int { (train.count + options.batchSize - 1) / options.batchSize }

    /// Runs the epochs; returns how many ran.
    @discardableResult
    public func run(shouldStop: () -> Bool = { false }, report: (FinetuningEvent) -> Void = { _ in }) throws -> Int {
        let total = stepsPerEpoch * options.epochs
        let schedule = CosineDecay(initial: options.learningRate, minimum: options.learningRate / 10, totalSteps: max(total, 1))
        let weights = options.classWeights
            ? SequenceClassifier.balancedWeights(labels: train.labels, classes: classifier.labels.count) : nil
        var generator = RandomGenerator(seed: options.seed ^ 0xF17E_7E57)
        var stopping = EarlyStopping(mode: .max, patience: max(options.patience, 1))
        var best: [(String, Tensor)]?
        var step = 0, epochsRun = 0
        for epoch in 1...options.epochs {
            classifier.train()
            var order = Array(0..<train.count)
            order.shuffle(using: &generator)
            var lossSum: Double = 0
            for start in stride(from: 0, to: order.count, by: options.batchSize) {
                if shouldStop() { break }
                let picked = order[start..<min(start + options.batchSize, order.count)]
                optimizer.learningRate = schedule.learningRate(at: step)
                optimizer.zeroGrad()
                let loss = classifier.loss(picked.map { train.sequences[$0] }, labels: picked.map { train.labels[$0] },
                                           classWeights: weights)
                let value = loss.item
                loss.backward()
                let norm = options.gradientClip > 0
                    ? optimizer.clipGradientNorm(maxNorm: options.gradientClip)
                    : clipGradientNorm(optimizer.parameters.map(\.parameter), maxNorm: .infinity)
                // Fine-tuning writes its checkpoint only at the end, so none exists yet.
                try DivergenceCheck.check(loss: value, gradientNorm: norm, step: step + 1,
                                          learningRate: optimizer.learningRate, gradientClip: options.gradientClip, clipFlag: nil)
                optimizer.step()
                step += 1
                lossSum += Double(value) * Double(picked.count)
                report(.step(step: step, totalSteps: total, loss: value))
            }
            epochsRun = epoch
            let trainLoss = Float(lossSum / Double(max(train.count, 1)))
            guard let validation else {
                report(.epoch(epoch: epoch, trainLoss: trainLoss, validationAccuracy: nil, improved: true))
                if shouldStop() { break }
                continue
            }
            let accuracy = Self.accuracy(classifier, validation)
            let improved = stopping.update(metric: accuracy)
            if improved {
                bestAccuracy = accuracy
                bestEpoch = epoch
                best = classifier.stateDict().map { ($0.0, $0.1.copied()) }
            }
            report(.epoch(epoch: epoch, trainLoss: trainLoss, validationAccuracy: accuracy, improved: improved))
            if shouldStop() { break }
            if stopping.shouldStop, epoch < options.epochs {
                report(.stoppedEarly(epoch: epoch, bestEpoch: bestEpoch))
                break
            }
        }
        if let best { try classifier.load(stateDict: best) }
        return epochsRun
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
