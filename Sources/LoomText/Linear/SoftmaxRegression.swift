import Foundation

/// Weights of a linear classifier over sparse features: class scores are
/// `biases[c] + Σ_j x_j weights[j * classCount + c]` (weights row-major by feature, so the classes
/// of one feature sit together and a sparse row touches contiguous memory).
public struct LinearWeights: Sendable, Equatable {
    public var featureCount: Int
    public var classCount: Int
    public var weights: [Float]  // (featureCount, classCount)
    public var biases: [Float]  // (classCount)

    /// The highest-scoring class of every row.
    public func predict(_ features: SparseMatrix) -> [Int] {
        precondition(features.columnCount == featureCount)
        var scores = [Float](repeating: 0, count: classCount)
        var predictions = [Int](repeating: 0, count: features.rowCount)
        for r in 0..<features.rowCount {
            for c in 0..<classCount { scores[c] = biases[c] }
            for k in features.rowStarts[r]..<features.rowStarts[r + 1] {
                let base = Int(features.columnIndices[k]) * classCount, value = features.values[k]
                for c in 0..<classCount { scores[c] += value * weights[base + c] }
            }
            var best = 0
            for c in 1..<max(classCount, 1) where scores[c] > scores[best] { best = c }
            predictions[r] = best
        }
        return predictions
    }
}

/// Multinomial logistic regression with an L2 penalty, fitted by L-BFGS. The objective is
/// scikit-learn's `C Σ_i CE_i + ½‖W‖²` divided by C·n (the intercept is not penalized).
enum SoftmaxRegression {
    static func train(features: SparseMatrix, labels: [Int], classCount: Int, inverseRegularization: Double,
                      maximumIterations: Int = 300, progress: ((Int, Double) -> Void)? = nil) -> LinearWeights {
        let rows = features.rowCount, featureCount = features.columnCount, classes = classCount
        precondition(labels.count == rows && rows > 0)
        let penalty = 1 / (inverseRegularization * Double(rows))
        let weightCount = featureCount * classes
        var parameters = [Double](repeating: 0, count: weightCount + classes)
        var probabilities = [Double](repeating: 0, count: classes)
        let objective: ([Double], inout [Double]) -> Double = { x, gradient in
            var loss = 0.0
            x.withUnsafeBufferPointer { x in
                gradient.withUnsafeMutableBufferPointer { gradient in
                    features.rowStarts.withUnsafeBufferPointer { starts in
                        features.columnIndices.withUnsafeBufferPointer { columns in
                            features.values.withUnsafeBufferPointer { values in
                                probabilities.withUnsafeMutableBufferPointer { p in
                                    for i in 0..<gradient.count { gradient[i] = 0 }
                                    let bias = weightCount
                                    for r in 0..<rows {
                                        for c in 0..<classes { p[c] = x[bias + c] }
                                        for k in starts[r]..<starts[r + 1] {
                                            let base = Int(columns[k]) * classes, value = Double(values[k])
                                            for c in 0..<classes { p[c] += value * x[base + c] }
                                        }
                                        var largest = p[0]
                                        for c in 1..<classes where p[c] > largest { largest = p[c] }
                                        var total = 0.0
                                        for c in 0..<classes { p[c] = exp(p[c] - largest); total += p[c] }
                                        let label = labels[r]
                                        loss -= log(p[label] / total)
                                        for c in 0..<classes { p[c] /= total }
                                        p[label] -= 1
                                        for c in 0..<classes { gradient[bias + c] += p[c] }
                                        for k in starts[r]..<starts[r + 1] {
                                            let base = Int(columns[k]) * classes, value = Double(values[k])
                                            for c in 0..<classes { gradient[base + c] += value * p[c] }
                                        }
                                    }
                                    let scale = 1 / Double(rows)
                                    loss *= scale
                                    for i in 0..<gradient.count { gradient[i] *= scale }
                                    for i in 0..<weightCount {
                                        loss += 0.5 * penalty * x[i] * x[i]
                                        gradient[i] += penalty * x[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return loss
        }
        var minimizer = LimitedMemoryBFGS()
        minimizer.maximumIterations = maximumIterations
        _ = minimizer.minimize(&parameters, objective: objective, progress: progress)
        return LinearWeights(featureCount: featureCount, classCount: classes,
                             weights: parameters[0..<weightCount].map { Float($0) },
                             biases: parameters[weightCount...].map { Float($0) })
    }
}
