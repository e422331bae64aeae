import XCTest
@testable import LoomTensor

/// Forward values against hand-computed results.
final class ValueTests: XCTestCase {
    func assertClose(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: tolerance * Swift.max(1, Swift.abs(y)), file: file, line: line) }
    }

    func testBroadcastingAddsBiasPerChannel() {
        let x = Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let b = Tensor(shape: [1, 2, 1, 1], values: [10, 20])
        XCTAssertEqual((x + b).scalars, [11, 12, 13, 14, 25, 26, 27, 28])
        XCTAssertEqual((x + b).shape, [1, 2, 2, 2])
    }

    func testMatmulMatchesHandProduct() {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [3, 2], values: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(Tensor.matmul(a, b).scalars, [58, 64, 139, 154])
        XCTAssertEqual(Tensor.matmul(a, a, transposeB: true).scalars, [14, 32, 32, 77])
    }

    func testReductionsAndSoftmax() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.sum(axis: 0).scalars, [5, 7, 9])
        XCTAssertEqual(x.sum(axis: 1).scalars, [6, 15])
        XCTAssertEqual(x.max(axis: 1).scalars, [3, 6])
        XCTAssertEqual(x.mean().item, 3.5)
        let e1 = Foundation.exp(Float(1)), e2 = Foundation.exp(Float(2)), e3 = Foundation.exp(Float(3))
        assertClose(x.softmax().scalars.prefix(3).map { $0 }, [e1, e2, e3].map { $0 / (e1 + e2 + e3) })
        assertClose(x.logSumExp(axis: 1).scalars, [Foundation.log(e1 + e2 + e3), 3 + Foundation.log(e1 + e2 + e3)])
    }

    func testCrossEntropyValue() {
        let logits = Tensor(shape: [2, 3], values: [1, 2, 3, 1, 1, 1])
        let lse0 = Foundation.log(Foundation.exp(Float(1)) + Foundation.exp(2) + Foundation.exp(3))
        let expected = ((lse0 - 1) + Foundation.log(Float(3))) / 2
        assertClose([logits.crossEntropy(targets: [0, 2]).item], [expected])
    }

    func testPermuteAndTranspose() {
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.transposed().scalars, [1, 4, 2, 5, 3, 6])
        let y = Tensor(shape: [2, 2, 2], values: [0, 1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(y.permuted([2, 0, 1]).scalars, [0, 2, 4, 6, 1, 3, 5, 7])
    }

    func testBackwardAccumulatesIntoLeaves() {
        let w = Tensor(shape: [3], values: [1, 2, 3]).requiringGradient()
        (w * w).sum().backward()
        (w * 2).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [4, 6, 8])
    }

    func testWithoutGradientsRecordsNothing() {
        let w = Tensor(shape: [3], values: [1, 2, 3]).requiringGradient()
        let y = withoutGradients { w * w }
        XCTAssertFalse(y.requiresGradient)
        XCTAssertTrue((w * w).requiresGradient)
    }

    func testGeneratorIsReproducibleAndRestorable() {
        var a = RandomGenerator(seed: 1)
        _ = a.next()
        let saved = a.state
        let x = (0..<5).map { _ in a.next() }
        var b = RandomGenerator(state: saved)
        XCTAssertEqual(x, (0..<5).map { _ in b.next() })
        var c = RandomGenerator(seed: 5)
        let normals = Tensor.randomNormal([20000], using: &c)
        XCTAssertEqual(normals.mean().item, 0, accuracy: 0.03)
        XCTAssertEqual((normals * normals).mean().item, 1, accuracy: 0.03)
    }

    func testBufferPoolReusesFreedBuffers() {
        var first: UnsafeMutablePointer<Float>?
        do { let t = Tensor(zeros: [12345]); first = t.pointer }
        let again = Tensor(zeros: [12345])
        XCTAssertEqual(again.pointer, first)
    }
}

import Foundation
