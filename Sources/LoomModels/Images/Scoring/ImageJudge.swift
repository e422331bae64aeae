import Foundation
import LoomCore
import LoomNN
import LoomTensor

/// What the judge network makes of a set of images.
public struct JudgeEmbedding {
    public let count: Int
    public let dimension: Int
    /// Penultimate-layer features, `count` rows of `dimension`.
    public let features: [Float]
    /// The judge's class for each image and its softmax probability.
    public let predictions: [Int]
    public let confidences: [Float]

    public var statistics: GaussianStatistics { GaussianStatistics(features: features, count: count, dimension: dimension) }
}

/// The scores `loom images score` reports for a set of images.
public struct JudgeScore {
    /// Fréchet distance between the Gaussians of the judge's features of these images and
    /// of the reference (test) images.
    public let fid: Double
    /// Images the judge puts in each class.
    public let classHistogram: [Int]
    /// Mean of the judge's top softmax probability.
    public let meanConfidence: Double
    public let count: Int

    public var classFractions: [Double] { classHistogram.map { Double($0) / Double(max(count, 1)) } }
}

/// The trained image classifier used as a fixed feature extractor for judging generators.
public final class ImageJudge {
    public let model: ImageClassifier
    public var chunk = 500

    public init(model: ImageClassifier) {
        self.model = model
        model.eval()
    }

    /// The judge saved in `directory`, or in its `best/` when there is one (as
    /// `loom images classify-train` leaves it).
    public static func load(from directory: URL) throws -> ImageJudge {
        let best = directory.appendingPathComponent("best")
        let chosen = FileManager.default.fileExists(atPath: best.appendingPathComponent(Checkpoint.configFile).path) ? best : directory
        let config = try Checkpoint.readConfig(ImageClassifierConfig.self, from: chosen)
        var rng = RandomGenerator(seed: 0)
        let model = ImageClassifier(config, using: &rng)
        try Checkpoint.loadModel(into: model, from: chosen)
        return ImageJudge(model: model)
    }

    /// Throws unless `images` (N, C, H, W) have the shape the judge was trained on.
    public func checkShape(_ images: Tensor, source: String) throws {
        let c = model.config
        guard images.rank == 4, Array(images.shape.dropFirst()) == [c.channels, c.height, c.width] else {
            throw LoomError("\(source): images of shape \(Array(images.shape.dropFirst())) cannot be judged by a judge trained on \(c.channels)×\(c.height)×\(c.width)")
        }
    }

    public func embed(_ images: Tensor) -> JudgeEmbedding {
        let count = images.shape[0], dimension = model.config.hidden, classes = model.config.classes
        var features = [Float](repeating: 0, count: count * dimension)
        var predictions = [Int](repeating: 0, count: count)
        var confidences = [Float](repeating: 0, count: count)
        withoutGradients {
            var start = 0
            while start < count {
                let end = min(start + chunk, count)
                let hidden = model.features(images.slice(axis: 0, start..<end))
                let probabilities = model.fc2(hidden).softmax()
                features.withUnsafeMutableBufferPointer {
                    ($0.baseAddress! + start * dimension).update(from: hidden.pointer, count: hidden.count)
                }
                for row in 0..<(end - start) {
                    var best = 0
                    for k in 1..<classes where probabilities.pointer[row * classes + k] > probabilities.pointer[row * classes + best] { best = k }
                    predictions[start + row] = best
                    confidences[start + row] = probabilities.pointer[row * classes + best]
                }
                start = end
            }
        }
        return JudgeEmbedding(count: count, dimension: dimension, features: features, predictions: predictions, confidences: confidences)
    }

    /// Scores `images` against statistics of reference images' features.
    public func score(_ embedding: JudgeEmbedding, against reference: GaussianStatistics) -> JudgeScore {
        var histogram = [Int](repeating: 0, count: model.config.classes)
        for p in embedding.predictions { histogram[p] += 1 }
        let confidence = embedding.confidences.reduce(0.0) { $0 + Double($1) } / Double(max(embedding.count, 1))
        return JudgeScore(fid: FrechetDistance.between(embedding.statistics, reference), classHistogram: histogram,
                          meanConfidence: confidence, count: embedding.count)
    }
}
