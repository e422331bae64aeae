import LoomTensor

/// Loss functions with PyTorch's semantics and mean reduction. Each returns a 0-dimensional
/// tensor ready for `backward()`. They are built from engine ops, except the two
/// cross-entropies, which wrap fused ops with hand-written backward passes.
public enum Loss {
    /// Mean squared error, `nn.MSELoss`.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        (prediction - target).square().mean()
    }

    /// Mean absolute error, `nn.L1Loss`.
    public static func meanAbsoluteError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        (prediction - target).abs().mean()
    }

    public static func mse(_ prediction: Tensor, _ target: Tensor) -> Tensor { meanSquaredError(prediction, target) }
    public static func l1(_ prediction: Tensor, _ target: Tensor) -> Tensor { meanAbsoluteError(prediction, target) }

    /// `nn.BCEWithLogitsLoss`: targets are probabilities in [0, 1] with the logits' shape.
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ targets: Tensor) -> Tensor {
        logits.binaryCrossEntropyWithLogits(targets: targets)
    }

    /// `nn.CrossEntropyLoss` over logits (..., C) and one class index per row. Rows whose
    /// target is `ignoreIndex` are left out of the loss and the mean; `labelSmoothing`
    /// mixes the one-hot target with the uniform distribution.
    public static func crossEntropy(
        _ logits: Tensor, _ targets: [Int32], ignoreIndex: Int32 = -100, labelSmoothing: Float = 0
    ) -> Tensor {
        logits.crossEntropy(targets: targets, ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing)
    }

    /// Multi-class hinge loss, `nn.MultiMarginLoss` (p = 1): for scores (N, C) and labels,
    /// mean over rows of Σ_{j≠y} max(0, margin - s_y + s_j) / C.
    public static func hinge(_ scores: Tensor, _ labels: [Int32], margin: Float = 1) -> Tensor {
        precondition(scores.rank == 2 && labels.count == scores.shape[0], "hinge needs scores (N, C) and N labels, got \(scores.shape) and \(labels.count)")
        let classes = scores.shape[1]
        let correct = scores.gatherLastAxis(labels).unsqueezed(at: 1)  // (N, 1)
        let violations = (scores - correct + margin).relu()  // (N, C)
        // The true class contributes exactly `margin`; the constant mask removes it and its gradient.
        let others = 1 - Tensor.oneHot(labels, classes: classes)
        return (violations * others).sum() * (1 / Float(scores.shape[0] * classes))
    }

    /// Binary hinge loss, mean of max(0, 1 - y·s), for labels y in {-1, +1} (as in SVMs,
    /// `nn.HingeEmbeddingLoss` is a different function).
    public static func binaryHinge(_ scores: Tensor, _ labels: Tensor) -> Tensor {
        (1 - scores * labels).relu().mean()
    }

    /// KL(N(mean, e^logVariance) ‖ N(0, 1)) of a VAE's latent code: summed over the latent
    /// dimensions (the last axis), averaged over the batch (every other axis).
    public static func gaussianKL(mean: Tensor, logVariance: Tensor) -> Tensor {
        precondition(mean.shape == logVariance.shape, "KL mean \(mean.shape) and log-variance \(logVariance.shape) differ")
        let batch = mean.count / Swift.max(mean.shape.last ?? 1, 1)
        let perElement = mean.square() + logVariance.exp() - logVariance - 1
        return perElement.sum() * (0.5 / Float(Swift.max(batch, 1)))
    }
}
