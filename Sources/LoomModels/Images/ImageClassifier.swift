import LoomNN
import LoomTensor

/// Hyperparameters of the convolutional image classifier.
public struct ImageClassifierConfig: ModelConfiguration, Equatable {
    public static let kind = "image-classifier"
    public var channels = 1
    public var height = 28
    public var width = 28
    public var classes = 10
    public var conv1Channels = 32
    public var conv2Channels = 64
    public var hidden = 128
    public var dropout: Float = 0.3
    public var classNames: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case channels, height, width, classes, dropout
        case conv1Channels = "conv1_channels", conv2Channels = "conv2_channels", hidden, classNames = "class_names"
    }
}

/// A two-convolution network for small grey images (Fashion-MNIST):
///
///     conv 3×3 → batch norm → ReLU → max-pool 2   (B, 32, 14, 14)
///     conv 3×3 → batch norm → ReLU → max-pool 2   (B, 64, 7, 7)
///     linear → ReLU → dropout                     (B, 128)   the features `score` compares
///     linear                                       (B, classes)
///
/// It is also the judge that scores generated images: its 128-wide penultimate layer is
/// the feature space of the judge-FID.
public final class ImageClassifier: Module, Layer {
    public let config: ImageClassifierConfig
    let conv1: Conv2d
    let bn1: BatchNorm2d
    let conv2: Conv2d
    let bn2: BatchNorm2d
    let fc1: Linear
    let dropout: Dropout
    let fc2: Linear

    public init(_ config: ImageClassifierConfig, using rng: inout RandomGenerator) {
        self.config = config
        conv1 = Conv2d(config.channels, config.conv1Channels, kernelSize: 3, padding: 1, using: &rng)
        bn1 = BatchNorm2d(config.conv1Channels)
        conv2 = Conv2d(config.conv1Channels, config.conv2Channels, kernelSize: 3, padding: 1, using: &rng)
        bn2 = BatchNorm2d(config.conv2Channels)
        let flat = config.conv2Channels * (config.height / 4) * (config.width / 4)
        fc1 = Linear(flat, config.hidden, using: &rng)
        dropout = Dropout(config.dropout, using: &rng)
        fc2 = Linear(config.hidden, config.classes, using: &rng)
    }

    /// The penultimate activations (B, hidden), before dropout.
    public func features(_ x: Tensor) -> Tensor {
        var h = bn1(conv1(x)).relu().maxPool2d(kernel: 2, stride: 2, padding: 0)  // (B, 32, H/2, W/2)
        h = bn2(conv2(h)).relu().maxPool2d(kernel: 2, stride: 2, padding: 0)      // (B, 64, H/4, W/4)
        return fc1(h.flattened(from: 1)).relu()                                    // (B, hidden)
    }

    /// Class logits (B, classes) for images (B, C, H, W) scaled to [-1, 1].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        fc2(dropout(features(x)))
    }
}
