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
    /// Rows are split into this many fixed blocks, each with its own gradient buffer, summed in
    /// block order: the result does not depend on how many cores run the blocks.
    static let blockCount = 4

    static func train(features: SparseMatrix, labels: [Int], classCount: Int, inverseRegularization: Double,
                      maximumIterations: Int = 300, progress: ((Int, Double) -> Void)? = nil) -> LinearWeights {
        let rows = features.rowCount, featureCount = features.columnCount, classes = classCount
        precondition(labels.count == rows && rows > 0)
        let penalty = 1 / (inverseRegularization * Double(rows))
        let weightCount = featureCount * classes
        let parameterCount = weightCount + classes
        var parameters = [Double](repeating: 0, count: parameterCount)
        let blocks = min(blockCount, rows)
        // (blocks, parameterCount) partial gradients and (blocks) partial losses.
        let partialGradients = UnsafeMutablePointer<Double>.allocate(capacity: blocks * parameterCount)
        let partialLosses = UnsafeMutablePointer<Double>.allocate(capacity: blocks)
        defer {
            partialGradients.deallocate()
            partialLosses.deallocate()
        }
        let objective: ([Double], inout [Double]) -> Double = { x, gradient in
            x.withUnsafeBufferPointer { x in
                DispatchQueue.concurrentPerform(iterations: blocks) { block in
                    let first = rows * block / blocks, last = rows * (block + 1) / blocks
                    partialLosses[block] = accumulate(rows: first..<last, features: features, labels: labels, classes: classes,
                                                      parameters: x.baseAddress!, gradient: partialGradients + block * parameterCount,
                                                      parameterCount: parameterCount)
                }
            }
            var loss = 0.0
            for block in 0..<blocks { loss += partialLosses[block] }
            let scale = 1 / Double(rows)
            loss *= scale
            gradient.withUnsafeMutableBufferPointer { gradient in
                for i in 0..<parameterCount {
                    var sum = 0.0
                    for block in 0..<blocks { sum += partialGradients[block * parameterCount + i] }
                    gradient[i] = sum * scale
                }
                for i in 0..<weightCount {
                    loss += 0.5 * penalty * x[i] * x[i]
                    gradient[i] += penalty * x[i]
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

    /// Summed cross-entropy of `rows`, writing its gradient (weights then biases) to `gradient`.
    private static func accumulate(rows: Range<Int>, features: SparseMatrix, labels: [Int], classes: Int,
                                   parameters x: UnsafePointer<Double>, gradient: UnsafeMutablePointer<Double>,
                                   parameterCount: Int) -> Double {
        gradient.initialize(repeating: 0, count: parameterCount)
        let bias = parameterCount - classes
        let p = UnsafeMutablePointer<Double>.allocate(capacity: classes)  // (classes)
        defer { p.deallocate() }
        var loss = 0.0
        features.rowStarts.withUnsafeBufferPointer { starts in
            features.columnIndices.withUnsafeBufferPointer { columns in
                features.values.withUnsafeBufferPointer { values in
                    for r in rows {
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
                }
            }
        }
        return loss
    }
}
