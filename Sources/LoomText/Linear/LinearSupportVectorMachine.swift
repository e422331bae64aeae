/// One-vs-rest linear SVMs with the squared hinge loss and an L2 penalty (scikit-learn's LinearSVC
/// defaults), each fitted by dual coordinate descent (Hsieh et al. 2008, as liblinear does). As in
/// liblinear, the bias is a constant feature of value 1 and so is penalized with the weights.
enum LinearSupportVectorMachine {
    static func train(features: SparseMatrix, labels: [Int], classCount: Int, regularization: Double,
                      seed: UInt64, maximumEpochs: Int = 1000, tolerance: Double = 0.1) -> LinearWeights {
        let rows = features.rowCount, featureCount = features.columnCount
        let diagonal = 1 / (2 * regularization)
        var squaredNorms = [Double](repeating: 1 + diagonal, count: rows)  // ‖x‖² + bias² + D_ii
        for r in 0..<rows {
            for k in features.rowStarts[r]..<features.rowStarts[r + 1] { squaredNorms[r] += Double(features.values[k] * features.values[k]) }
        }
        var weights = [Float](repeating: 0, count: featureCount * classCount)
        var biases = [Float](repeating: 0, count: classCount)
        var generator = TextModelGenerator(seed: seed)
        var order = Array(0..<rows)
        var w = [Double](repeating: 0, count: featureCount)
        var alphas = [Double](repeating: 0, count: rows)
        for target in 0..<classCount {
            for i in 0..<featureCount { w[i] = 0 }
            for i in 0..<rows { alphas[i] = 0 }
            var bias = 0.0
            features.rowStarts.withUnsafeBufferPointer { starts in
                features.columnIndices.withUnsafeBufferPointer { columns in
                    features.values.withUnsafeBufferPointer { values in
                        w.withUnsafeMutableBufferPointer { w in
                            for _ in 0..<maximumEpochs {
                                order.shuffle(using: &generator)
                                var largest = -Double.infinity, smallest = Double.infinity
                                for r in order {
                                    let y: Double = labels[r] == target ? 1 : -1
                                    var margin = bias
                                    for k in starts[r]..<starts[r + 1] { margin += w[Int(columns[k])] * Double(values[k]) }
                                    let g = y * margin - 1 + diagonal * alphas[r]
                                    let projected = alphas[r] == 0 ? min(g, 0) : g
                                    largest = max(largest, projected)
                                    smallest = min(smallest, projected)
                                    if projected == 0 { continue }
                                    let old = alphas[r]
                                    alphas[r] = max(old - g / squaredNorms[r], 0)
                                    let change = (alphas[r] - old) * y
                                    if change == 0 { continue }
                                    for k in starts[r]..<starts[r + 1] { w[Int(columns[k])] += change * Double(values[k]) }
                                    bias += change
                                }
                                if largest - smallest <= tolerance { break }
                            }
                        }
                    }
                }
            }
            for i in 0..<featureCount { weights[i * classCount + target] = Float(w[i]) }
            biases[target] = Float(bias)
        }
        return LinearWeights(featureCount: featureCount, classCount: classCount, weights: weights, biases: biases)
    }
}
