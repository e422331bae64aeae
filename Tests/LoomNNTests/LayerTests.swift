import Foundation
import XCTest
import LoomTensor
@testable import LoomNN

final class LayerTests: XCTestCase {
    func testEmbeddingLooksUpRowsAndScattersGradients() {
        var rng = RandomGenerator(seed: 5)
        let embedding = Embedding(10, 4, using: &rng)
        XCTAssertEqual(embedding.weight.shape, [10, 4])
        let w = embedding.weight.value.scalars
        let out = embedding([3, 7, 3, 0, 9, 1], shape: [2, 3])
        XCTAssertEqual(out.shape, [2, 3, 4])
        XCTAssertEqual(Array(out.scalars[4..<8]), Array(w[28..<32]))
        out.sum().backward()
        let grad = embedding.weight.grad!.buffer
        XCTAssertEqual(grad[3 * 4], 2)  // id 3 appears twice
        XCTAssertEqual(grad[2 * 4], 0)  // id 2 never
        // N(0, 1) initialization: the sample mean and variance of a large table.
        let big = Embedding(1000, 64, using: &rng).weight.value.scalars
        let mean = big.reduce(0, +) / Float(big.count)
        let variance = big.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(big.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
        XCTAssertEqual(embedding.namedParameters().map(\.0), ["weight"])
    }

    func testDropoutIsReproducibleAndOffInEvaluation() {
        let x = Tensor(ones: [1000])
        let a = Dropout(0.25, seed: 9), b = Dropout(0.25, seed: 9)
        let ya = a(x).scalars
        XCTAssertEqual(ya, b(x).scalars)
        XCTAssertNotEqual(ya, a(x).scalars)  // the stream moves on
        XCTAssertTrue(ya.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.75) < 1e-6 })
        let dropped = ya.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / 1000, 0.25, accuracy: 0.05)
        a.eval()
        XCTAssertEqual(a(x).scalars, x.scalars)
        // Restoring the saved generator replays the same mask.
        let c = Dropout(0.5, seed: 1)
        let saved = c.generator
        let first = c(x).scalars
        c.generator = saved
        XCTAssertEqual(c(x).scalars, first)
    }

    func testActivationLayersAndFlatten() {
        let x = Tensor(shape: [2, 3], values: [-2, -0.5, 0, 0.5, 1, 3])
        XCTAssertEqual(ReLU()(x).scalars, [0, 0, 0, 0.5, 1, 3])
        XCTAssertEqual(LeakyReLU(slope: 0.1)(x).scalars, [-0.2, -0.05, 0, 0.5, 1, 3])
        XCTAssertEqual(Tanh()(x).scalars[5], Foundation.tanh(3), accuracy: 1e-6)
        XCTAssertEqual(Sigmoid()(x).scalars[0], 1 / (1 + Foundation.exp(2)), accuracy: 1e-6)
        XCTAssertEqual(GELU()(x).scalars[4], 0.841_192, accuracy: 1e-5)
        let image = Tensor(zeros: [2, 3, 4, 5])
        XCTAssertEqual(Flatten()(image).shape, [2, 60])
        XCTAssertEqual(Flatten(startAxis: 2)(image).shape, [2, 3, 20])
        var rng = RandomGenerator(seed: 1)
        let model = Sequential([Flatten(), Linear(60, 4, using: &rng), GELU(), Dropout(0.1, using: &rng), Linear(4, 2, using: &rng)])
        XCTAssertEqual(model.namedParameters().map(\.0), ["1.weight", "1.bias", "4.weight", "4.bias"])
        XCTAssertEqual(model(image).shape, [2, 2])
        XCTAssertEqual(model.randomGeneratorStates().keys.sorted(), ["3"])
    }
}
