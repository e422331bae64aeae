import XCTest
import Foundation
import LoomTensor
@testable import LoomNN

final class LossTests: XCTestCase {
    var rng = RandomGenerator(seed: 11)

    func random(_ shape: [Int], low: Float = -2, high: Float = 2) -> Tensor {
        Tensor.randomUniform(shape, low: low, high: high, using: &rng)
    }

    func check(_ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Double = 2e-3,
               file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor) {
        let report = checkGradients(inputs, epsilon: epsilon, f)
        XCTAssertLessThan(report.worstError, tolerance, report.description, file: file, line: line)
        XCTAssertGreaterThan(report.checkedElements, 0, file: file, line: line)
    }

    func testFusedBinaryCrossEntropyGradients() {
        // Both the logits and the targets receive gradients.
        check([random([4, 5], low: -6, high: 6), random([4, 5], low: 0, high: 1)]) {
            Loss.binaryCrossEntropyWithLogits($0[0], $0[1])
        }
    }

    func testFusedBinaryCrossEntropyMatchesTheUnfusedFormula() {
        let x = random([3, 4], low: -5, high: 5), t = random([3, 4], low: 0, high: 1)
        let fused = Loss.binaryCrossEntropyWithLogits(x, t).item
        let p = x.sigmoid()
        let unfused = -(t * p.log() + (1 - t) * (1 - p).log()).mean().item
        XCTAssertEqual(fused, unfused, accuracy: 1e-5)
        // Far out, where sigmoid rounds to 0 or 1, the fused form stays finite and exact.
        let extreme = Loss.binaryCrossEntropyWithLogits(Tensor(shape: [2], values: [-200, 200]), Tensor(shape: [2], values: [1, 0]))
        XCTAssertEqual(extreme.item, 200, accuracy: 1e-3)
    }

    func testLossGradients() {
        check([random([3, 4]), random([3, 4])]) { Loss.mse($0[0], $0[1]) }
        check([random([3, 4]), random([3, 4])], epsilon: 1e-3) { Loss.l1($0[0], $0[1]) }
        check([random([5, 4])], epsilon: 1e-3) { Loss.hinge($0[0], [0, 3, 1, 2, 3]) }
        check([random([6])], epsilon: 1e-3) { Loss.binaryHinge($0[0], Tensor(shape: [6], values: [1, -1, 1, 1, -1, -1])) }
        check([random([3, 4]), random([3, 4])]) { Loss.gaussianKL(mean: $0[0], logVariance: $0[1]) }
        check([random([4, 6], low: -3, high: 3)]) { Loss.crossEntropy($0[0], [0, 5, -100, 2], labelSmoothing: 0.1) }
    }

    func testHingeValues() {
        // Row 0: label 0, scores [2, 1.5, -1]: max(0, 1-2+1.5) + max(0, 1-2-1) = 0.5; /3.
        // Row 1: label 2, scores [0, 1, 0.5]:  max(0, 1-0.5+0) + max(0, 1-0.5+1) = 0.5 + 1.5 = 2; /3.
        let scores = Tensor(shape: [2, 3], values: [2, 1.5, -1, 0, 1, 0.5])
        XCTAssertEqual(Loss.hinge(scores, [0, 2]).item, (0.5 / 3 + 2.0 / 3) / 2, accuracy: 1e-6)
        // Binary: mean of max(0, 1 - y s) = (0 + 0.5 + 2) / 3.
        let binary = Loss.binaryHinge(Tensor(shape: [3], values: [2, 0.5, 1]), Tensor(shape: [3], values: [1, 1, -1]))
        XCTAssertEqual(binary.item, 2.5 / 3, accuracy: 1e-6)
    }

    func testGaussianKLValues() {
        // A standard normal posterior costs nothing.
        XCTAssertEqual(Loss.gaussianKL(mean: Tensor(zeros: [4, 3]), logVariance: Tensor(zeros: [4, 3])).item, 0)
        // One row, mean 1 and variance e in each of 2 dims: 0.5·(1 + e - 1 - 1) per dim.
        let kl = Loss.gaussianKL(mean: Tensor(shape: [1, 2], values: [1, 1]), logVariance: Tensor(shape: [1, 2], values: [1, 1]))
        XCTAssertEqual(kl.item, Float(Foundation.exp(1.0) - 1), accuracy: 1e-5)
        // Sum over the latent, mean over the batch: two identical rows give the same value.
        let two = Loss.gaussianKL(mean: Tensor(shape: [2, 2], values: [1, 1, 1, 1]), logVariance: Tensor(shape: [2, 2], values: [1, 1, 1, 1]))
        XCTAssertEqual(two.item, kl.item, accuracy: 1e-6)
    }

    func testRegressionLossValues() {
        let p = Tensor(shape: [4], values: [1, 2, 3, 4]), t = Tensor(shape: [4], values: [0, 2, 5, 3])
        XCTAssertEqual(Loss.mse(p, t).item, (1 + 0 + 4 + 1) / 4)
        XCTAssertEqual(Loss.meanAbsoluteError(p, t).item, (1 + 0 + 2 + 1) / 4)
    }
}
