import Foundation
import LoomNN
import LoomTensor

/// Trains a `RecurrentClassifier` from scratch on labelled texts with Adam and gradient
/// clipping, in shuffled mini-batches of texts of similar length (less padding).
public struct RecurrentClassifierTraining {
    public var epochs = 2
    public var batchSize = 64
    public var learningRate: Float = 3e-3
    public var gradientClip: Float = 1
    public var seed: UInt64 = 1

    public init() {}

    /// The characters seen at least `minimumCount` times in `texts`, most frequent first.
    public static func characters(of texts: [String], maxLength: Int, minimumCount: Int = 2) -> [String] {
        var counts: [String: Int] = [:]
        for text in texts { for c in text.prefix(maxLength) { counts[String(c), default: 0] += 1 } }
        return counts.filter { $0.value >= minimumCount }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
    }

    /// Runs the epochs; `report` receives (epoch, step, mean loss of the last steps).
    public func train(_ model: RecurrentClassifier, texts: [String], labels: [Int],
                      report: (Int, Int, Float) -> Void = { _, _, _ in }) {
        precondition(texts.count == labels.count && !texts.isEmpty, "one label per text")
        let encoded = texts.map { model.encode($0) }
        let optimizer = Adam(parameters: model.trainableParameters, learningRate: learningRate)
        var rng = RandomGenerator(seed: seed)
        model.train()
        var step = 0
        for epoch in 1...epochs {
            // Sort by length inside shuffled chunks of 50 batches, then shuffle the batches.
            var order = Array(0..<encoded.count)
            order.shuffle(using: &rng)
            let chunk = batchSize * 50
            var batches: [[Int]] = []
            for start in stride(from: 0, to: order.count, by: chunk) {
                let part = order[start..<Swift.min(start + chunk, order.count)].sorted { encoded[$0].count < encoded[$1].count }
                for b in stride(from: 0, to: part.count, by: batchSize) {
                    batches.append(Array(part[(part.startIndex + b)..<Swift.min(part.startIndex + b + batchSize, part.endIndex)]))
                }
            }
            batches.shuffle(using: &rng)
            var recent: [Float] = []
            for batch in batches {
                model.zeroGrad()
                let loss = model.logits(batch.map { encoded[$0] }).crossEntropy(targets: batch.map { Int32(labels[$0]) })
                loss.backward()
                _ = optimizer.clipGradientNorm(maxNorm: gradientClip)
                optimizer.step()
                step += 1
                recent.append(loss.item)
                if recent.count == 50 {
                    report(epoch, step, recent.reduce(0, +) / Float(recent.count))
                    recent.removeAll()
                }
            }
        }
        model.eval()
    }

    /// The predicted label index of each text.
    public static func predict(_ model: RecurrentClassifier, texts: [String], batchSize: Int = 128) -> [Int] {
        model.eval()
        var predictions: [Int] = []
        withoutGradients {
            for start in stride(from: 0, to: texts.count, by: batchSize) {
                let part = texts[start..<Swift.min(start + batchSize, texts.count)].map { model.encode($0) }
                let logits = model.logits(part)
                let classes = logits.shape[1]
                for b in 0..<part.count {
                    let row = logits.pointer + b * classes
                    var best = 0
                    for c in 1..<classes where row[c] > row[best] { best = c }
                    predictions.append(best)
                }
            }
        }
        return predictions
    }
}
