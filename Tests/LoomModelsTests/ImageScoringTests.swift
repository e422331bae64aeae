import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

final class ImageScoringTests: XCTestCase {
    func testEigenvaluesOfASmallSymmetricMatrix() {
        let (values, vectors) = SymmetricEigen.decompose([2, 1, 1, 2], size: 2)
        XCTAssertEqual(values.sorted()[0], 1, accuracy: 1e-12)
        XCTAssertEqual(values.sorted()[1], 3, accuracy: 1e-12)
        // Each column is a unit eigenvector: A v = λ v.
        for k in 0..<2 {
            let v = [vectors[k], vectors[2 + k]]
            XCTAssertEqual(2 * v[0] + v[1], values[k] * v[0], accuracy: 1e-12)
            XCTAssertEqual(v[0] + 2 * v[1], values[k] * v[1], accuracy: 1e-12)
            XCTAssertEqual(v[0] * v[0] + v[1] * v[1], 1, accuracy: 1e-12)
        }
    }

    func testSquareRootByHand() {
        // [[2, 1], [1, 2]]² = [[5, 4], [4, 5]].
        let root = SymmetricEigen.squareRoot([5, 4, 4, 5], size: 2)
        for (a, b) in zip(root, [2.0, 1, 1, 2]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    func testSquareRootOfALargerMatrixSquaresBack() {
        var rng = RandomGenerator(seed: 9)
        let n = 12
        let x = (0..<(n * n)).map { _ in Double(rng.nextNormal()) }
        var spd = [Double](repeating: 0, count: n * n)  // XᵀX + I
        for i in 0..<n { for j in 0..<n { for k in 0..<n { spd[i * n + j] += x[k * n + i] * x[k * n + j] } } }
        for i in 0..<n { spd[i * n + i] += 1 }
        let root = SymmetricEigen.squareRoot(spd, size: n)
        let square = FrechetDistance.multiply(root, root, n)
        for (a, b) in zip(square, spd) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(b))) }
    }

    /// Diagonal case: |(1, 1)|² + (1 + 4) + (4 + 1) - 2(√4 + √4) = 2 + 10 - 8 = 4.
    func testFrechetDistanceOfDiagonalGaussiansByHand() {
        let a = GaussianStatistics(mean: [0, 0], covariance: [1, 0, 0, 4])
        let b = GaussianStatistics(mean: [1, 1], covariance: [4, 0, 0, 1])
        XCTAssertEqual(FrechetDistance.between(a, b), 4, accuracy: 1e-12)
        XCTAssertEqual(FrechetDistance.between(b, a), 4, accuracy: 1e-12)
    }

    /// Correlated against white: tr Σa = 4, tr Σb = 2, tr Σa^½ = √3 + 1, so 6 - 2(√3 + 1) = 4 - 2√3.
    func testFrechetDistanceOfCorrelatedGaussianByHand() {
        let a = GaussianStatistics(mean: [3, 0], covariance: [2, 1, 1, 2])
        let b = GaussianStatistics(mean: [3, 0], covariance: [1, 0, 0, 1])
        XCTAssertEqual(FrechetDistance.between(a, b), 4 - 2 * 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(FrechetDistance.between(a, a), 0, accuracy: 1e-12)
    }

    func testStatisticsOfFeatures() {
        // Points (0, 0), (2, 0), (0, 2), (2, 2): mean (1, 1), variances 4/3, no covariance.
        let s = GaussianStatistics(features: [0, 0, 2, 0, 0, 2, 2, 2], count: 4, dimension: 2)
        XCTAssertEqual(s.mean, [1, 1])
        for (a, b) in zip(s.covariance, [4.0 / 3, 0, 0, 4.0 / 3]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    func testJudgeScoreCountsClassesAndIsZeroAgainstItself() throws {
        var config = ImageClassifierConfig()
        config.height = 8
        config.width = 8
        config.classes = 3
        config.hidden = 6
        var rng = RandomGenerator(seed: 2)
        let judge = ImageJudge(model: ImageClassifier(config, using: &rng))
        let data = GeneratorFixtures.images(count: 30)
        let images = data.batch(Array(0..<30)[...]).images
        judge.chunk = 7
        let embedding = judge.embed(images)
        XCTAssertEqual(embedding.features.count, 30 * 6)
        let score = judge.score(embedding, against: embedding.statistics)
        XCTAssertEqual(score.classHistogram.reduce(0, +), 30)
        XCTAssertEqual(score.fid, 0, accuracy: 1e-6)
        XCTAssertTrue(score.meanConfidence >= 1.0 / 3 && score.meanConfidence <= 1)
        XCTAssertThrowsError(try judge.checkShape(Tensor(zeros: [2, 1, 28, 28]), source: "samples")) { error in
            XCTAssertTrue("\(error)".contains("samples") && "\(error)".contains("1×8×8"), "\(error)")
        }
    }
}
