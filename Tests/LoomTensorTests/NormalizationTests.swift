import XCTest
@testable import LoomTensor

/// Fused layer norm and batch norm: finite differences, and values and gradients against
/// the same formulas composed from elementary ops.
final class NormalizationTests: XCTestCase {
    var rng = RandomGenerator(seed: 23)

    func random(_ shape: [Int], low: Float = -1, high: Float = 1) -> Tensor {
        Tensor.randomUniform(shape, low: low, high: high, using: &rng)
    }

    func checkGradient(_ inputs: [Tensor], tolerance: Double = 2e-3, file: StaticString = #filePath, line: UInt = #line,
                       _ f: @escaping ([Tensor]) -> Tensor) {
        let report = checkGradients(inputs, maxElementsPerInput: 64, f)
        XCTAssertLessThan(report.worstError, tolerance, report.description, file: file, line: line)
    }

    func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 2e-5, _ what: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        var worst: Float = 0
        for (x, y) in zip(a, b) {
            let difference = Swift.abs(x - y) / Swift.max(1, Swift.abs(y))
            worst = difference.isNaN ? .infinity : Swift.max(worst, difference)
        }
        XCTAssertLessThan(worst, tolerance, what, file: file, line: line)
    }

    /// Runs `fused` and `composed` on fresh leaves of the same inputs with the same seed, and
    /// compares outputs and every input's gradient.
    func compare(_ inputs: [Tensor], file: StaticString = #filePath, line: UInt = #line,
                 fused: ([Tensor]) -> Tensor, composed: ([Tensor]) -> Tensor) {
        let a = inputs.map { $0.copied().requiringGradient() }, b = inputs.map { $0.copied().requiringGradient() }
        let ya = fused(a), yb = composed(b)
        XCTAssertEqual(ya.shape, yb.shape, file: file, line: line)
        assertClose(ya.scalars, yb.scalars, "values", file: file, line: line)
        let seed = random(ya.shape)
        ya.backward(seed: seed)
        yb.backward(seed: seed)
        for i in inputs.indices {
            assertClose(a[i].grad!.scalars, b[i].grad!.scalars, tolerance: 1e-4, "gradient of input \(i)", file: file, line: line)
        }
    }

    // MARK: Layer norm

    func composedLayerNorm(_ x: Tensor, _ w: Tensor?, _ b: Tensor?, eps: Float) -> Tensor {
        let centered = x - x.mean(axis: -1, keepDims: true)
        let variance = (centered * centered).mean(axis: -1, keepDims: true)
        var y = centered / (variance + eps).sqrt()
        if let w { y = y * w }
        if let b { y = y + b }
        return y
    }

    func testLayerNormGradients() {
        checkGradient([random([3, 4, 6]), random([6]), random([6])]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        checkGradient([random([5, 9]), random([9])]) { $0[0].layerNorm(weight: $0[1], bias: nil) }
        checkGradient([random([4, 7])]) { $0[0].layerNorm(weight: nil, bias: nil, eps: 1e-3) }
    }

    func testLayerNormMatchesComposition() {
        compare([random([3, 4, 6]), random([6]), random([6])]) {
            $0[0].layerNorm(weight: $0[1], bias: $0[2])
        } composed: { composedLayerNorm($0[0], $0[1], $0[2], eps: 1e-5) }
        compare([random([2, 33, 768], low: -3, high: 5), random([768]), random([768])]) {
            $0[0].layerNorm(weight: $0[1], bias: $0[2])
        } composed: { composedLayerNorm($0[0], $0[1], $0[2], eps: 1e-5) }
        compare([random([5, 8])]) { $0[0].layerNorm(weight: nil, bias: nil, eps: 0.1) } composed: {
            composedLayerNorm($0[0], nil, nil, eps: 0.1)
        }
    }

    func testLayerNormRowsHaveZeroMeanAndUnitVariance() {
        let y = random([4, 50], low: 2, high: 9).layerNorm(weight: nil, bias: nil, eps: 0)
        for r in 0..<4 {
            let row = Array(y.scalars[(r * 50)..<(r * 50 + 50)])
            let mean = row.reduce(0, +) / 50
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 50
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-4)
        }
    }

    // MARK: Batch norm

    /// Batch norm from elementary ops; `shape` is the broadcast shape of a per-channel vector.
    func composedBatchNorm(_ x: Tensor, _ w: Tensor?, _ b: Tensor?, eps: Float) -> Tensor {
        let axes = [0] + Array(2..<x.rank)
        let perChannel = [1, x.shape[1]] + Array(repeating: 1, count: x.rank - 2)
        let centered = x - x.mean(axes: axes, keepDims: true)
        let variance = (centered * centered).mean(axes: axes, keepDims: true)
        var y = centered / (variance + eps).sqrt()
        if let w { y = y * w.reshaped(perChannel) }
        if let b { y = y + b.reshaped(perChannel) }
        return y
    }

    func testBatchNormGradients() {
        for shape in [[4, 3, 5, 5], [6, 4], [3, 2, 7]] {
            let c = shape[1]
            checkGradient([random(shape), random([c]), random([c])]) {
                $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true)
            }
            let mean = random([c]), variance = random([c], low: 0.5, high: 2)
            checkGradient([random(shape), random([c]), random([c])]) {
                $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: mean, runningVar: variance, training: false)
            }
        }
        checkGradient([random([5, 3, 2, 2])]) {
            $0[0].batchNorm(weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true, eps: 1e-3)
        }
    }

    func testBatchNormMatchesComposition() {
        for shape in [[4, 3, 5, 5], [6, 4], [64, 32, 28, 28], [64, 3136]] {
            let c = shape[1]
            compare([random(shape, low: -2, high: 3), random([c]), random([c])]) {
                $0[0].batchNorm(weight: $0[1], bias: $0[2], runningMean: nil, runningVar: nil, training: true)
            } composed: { composedBatchNorm($0[0], $0[1], $0[2], eps: 1e-5) }
        }
    }

    func testBatchNormEvaluationUsesRunningStatistics() {
        let x = random([3, 2, 2, 2]), w = random([2]), b = random([2])
        let mean = Tensor(shape: [2], values: [0.5, -1]), variance = Tensor(shape: [2], values: [4, 0.25])
        let y = x.batchNorm(weight: w, bias: b, runningMean: mean, runningVar: variance, training: false, eps: 0)
        let xs = x.scalars, ys = y.scalars
        for i in 0..<x.count {
            let c = (i / 4) % 2
            let expected = (xs[i] - mean.scalars[c]) / variance.scalars[c].squareRoot() * w.scalars[c] + b.scalars[c]
            XCTAssertEqual(ys[i], expected, accuracy: 1e-5)
        }
        XCTAssertEqual(mean.scalars, [0.5, -1], "evaluation leaves running statistics alone")
    }

    func testBatchNormTrainingUpdatesRunningStatisticsInPlace() {
        let x = Tensor(shape: [2, 2, 1, 2], values: [1, 3, 10, 10, 5, 7, 20, 30])
        let mean = Tensor(shape: [2], values: [0, 1]), variance = Tensor(shape: [2], values: [1, 2])
        _ = x.batchNorm(weight: nil, bias: nil, runningMean: mean, runningVar: variance, training: true, momentum: 0.1)
        // Channel 0: values 1, 3, 5, 7 (mean 4, unbiased variance 20/3); channel 1: 10, 10, 20, 30 (mean 17.5, 275/3).
        XCTAssertEqual(mean.scalars[0], 0.9 * 0 + 0.1 * 4, accuracy: 1e-6)
        XCTAssertEqual(mean.scalars[1], 0.9 * 1 + 0.1 * 17.5, accuracy: 1e-5)
        XCTAssertEqual(variance.scalars[0], 0.9 * 1 + 0.1 * 20 / 3, accuracy: 1e-5)
        XCTAssertEqual(variance.scalars[1], 0.9 * 2 + 0.1 * 275 / 3, accuracy: 1e-4)
    }

    /// `[N, C]` inputs take their own path (one value per row and channel); the same values
    /// as above, laid out as 4 rows of 2 features.
    func testBatchNormOverFeaturesUpdatesRunningStatistics() {
        let x = Tensor(shape: [4, 2], values: [1, 10, 3, 10, 5, 20, 7, 30])
        let mean = Tensor(shape: [2], values: [0, 1]), variance = Tensor(shape: [2], values: [1, 2])
        let y = x.batchNorm(weight: nil, bias: nil, runningMean: mean, runningVar: variance, training: true, momentum: 0.1)
        XCTAssertEqual(mean.scalars[0], 0.9 * 0 + 0.1 * 4, accuracy: 1e-6)
        XCTAssertEqual(mean.scalars[1], 0.9 * 1 + 0.1 * 17.5, accuracy: 1e-5)
        XCTAssertEqual(variance.scalars[0], 0.9 * 1 + 0.1 * 20 / 3, accuracy: 1e-5)
        XCTAssertEqual(variance.scalars[1], 0.9 * 2 + 0.1 * 275 / 3, accuracy: 1e-4)
        // Channel 0 normalized with the biased variance 5: (1 - 4) / √5 for the first row.
        XCTAssertEqual(y.scalars[0], -3 / (5 + 1e-5 as Float).squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(y.scalars[1], (10 - 17.5) / (68.75 + 1e-5 as Float).squareRoot(), accuracy: 1e-5)
    }
}
