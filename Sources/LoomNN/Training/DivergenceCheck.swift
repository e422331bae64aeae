/// Stops a run whose loss or gradients stopped being numbers, with a message that says
/// where it happened and what usually helps, instead of training on NaN in silence.
public enum DivergenceCheck {
    /// Throws when `loss` (or the pre-clip `gradientNorm`, when given) is NaN or infinite.
    public static func check(loss: Float, gradientNorm: Float? = nil, step: Int, learningRate: Float) throws {
        let what: String
        if !loss.isFinite {
            what = "loss is \(loss)"
        } else if let norm = gradientNorm, !norm.isFinite {
            what = "gradient norm is \(norm) (loss \(loss))"
        } else {
            return
        }
        throw LoomError("step \(step): \(what), training diverged; the last saved checkpoint is unchanged. "
            + "Try a lower learning rate (now \(learningRate)), clipping gradients at norm 1, or a longer warmup.")
    }
}
