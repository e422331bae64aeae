import Foundation
import LoomTensor

/// Stops a run whose loss or gradients stopped being numbers, with a message that says
/// where it happened, what is safe on disk and what usually helps, instead of training on
/// NaN in silence.
public enum DivergenceCheck {
    /// Throws when `loss` (or the pre-clip `gradientNorm`, when given) is NaN or infinite,
    /// or when anomaly detection caught a non-finite value inside the step.
    ///
    /// - Parameters:
    ///   - step: the step being trained, counted from 1.
    ///   - lastCheckpoint: "dir (step N)" of the last save, nil when nothing was saved yet.
    ///   - gradientClip: the clipping norm, 0 or nil when gradients are not clipped.
    ///   - clipFlag: the flag that sets clipping, nil when the verb has none.
    public static func check(loss: Float, gradientNorm: Float? = nil, step: Int, learningRate: Float,
                             gradientClip: Float? = nil, lastCheckpoint: String? = nil, clipFlag: String? = "--grad-clip") throws {
        let anomaly = AnomalyDetection.isEnabled ? AnomalyDetection.takeFirst() : nil
        let what: String
        if !loss.isFinite {
            what = "the loss became \(loss)"
        } else if let norm = gradientNorm, !norm.isFinite {
            what = "the gradient norm became \(norm) (loss \(loss))"
        } else if anomaly != nil {
            what = "a non-finite value appeared inside the step (loss \(loss))"
        } else {
            return
        }
        throw LoomError(message(what, step: step, learningRate: learningRate, gradientClip: gradientClip,
                                lastCheckpoint: lastCheckpoint, clipFlag: clipFlag, anomaly: anomaly))
    }

    static func message(_ what: String, step: Int, learningRate: Float, gradientClip: Float?,
                        lastCheckpoint: String?, clipFlag: String?, anomaly: Anomaly?) -> String {
        var text = "step \(step): \(what); training stopped without saving this step"
        text += lastCheckpoint.map { "; the last good checkpoint is \($0), unchanged. " } ?? "; no checkpoint was saved before it. "
        text += "Usual causes: a learning rate too high (now \(learningRate); try --lr \(learningRate / 10))"
        if let clip = gradientClip, clip > 0 {
            text += ", gradients clipped too loosely (now at norm \(clip))"
        } else if let clipFlag {
            text += ", gradients not clipped (try \(clipFlag) 1)"
        }
        text += ", or too short a warmup."
        if let anomaly {
            text += " First non-finite value: \(anomaly)."
        } else if !AnomalyDetection.isEnabled {
            text += " Rerun with --detect-anomaly to name the op that first produced it."
        }
        return text
    }

    /// `directory` as `lastCheckpoint` names it when it holds a saved checkpoint, else nil.
    public static func lastCheckpoint(in directory: URL) -> String? {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(Checkpoint.configFile).path)
            ? directory.path : nil
    }
}
