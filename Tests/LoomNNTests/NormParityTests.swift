import XCTest
import LoomTensor
@testable import LoomNN

/// LayerNorm, BatchNorm1d and BatchNorm2d against PyTorch, including the running statistics.
final class NormParityTests: XCTestCase {
    func testLayerNormMatchesPyTorch() throws {
        let fixture = try LayerFixture("layer_norm")
        let layer = LayerNorm(try fixture.integer("normalized_shape"), eps: try fixture.float("eps"))
        XCTAssertEqual(layer.namedParameters().map(\.0), ["weight", "bias"])
        try fixture.load(into: layer)
        try fixture.check(layer)
    }

    func checkBatchNorm(_ name: String, _ layer: BatchNorm & Layer) throws {
        let fixture = try LayerFixture(name)
        try fixture.load(into: layer)
        if fixture.file.metadata["mode"] == "eval" { layer.eval() }
        try fixture.check(layer)
        let mean = try XCTUnwrap(layer.runningMean).value, variance = try XCTUnwrap(layer.runningVar).value
        if layer.isTraining {
            LayerFixture.assertClose(mean, try fixture.tensor("running_mean_after"), 1e-5, "\(name): running_mean")
            LayerFixture.assertClose(variance, try fixture.tensor("running_var_after"), 1e-5, "\(name): running_var")
        } else {
            XCTAssertEqual(mean.scalars, try fixture.tensor("running_mean").scalars, "evaluation leaves running_mean alone")
            XCTAssertEqual(variance.scalars, try fixture.tensor("running_var").scalars, "evaluation leaves running_var alone")
        }
    }

    func testBatchNorm2dMatchesPyTorch() throws {
        try checkBatchNorm("batch_norm2d_train", BatchNorm2d(3, eps: 1e-5, momentum: 0.1))
        try checkBatchNorm("batch_norm2d_eval", BatchNorm2d(3, eps: 1e-5, momentum: 0.1))
    }

    func testBatchNorm1dMatchesPyTorch() throws {
        try checkBatchNorm("batch_norm1d_train", BatchNorm1d(4, eps: 1e-5, momentum: 0.1))
    }

    func testBatchNormNamesBuffersAndDefaults() {
        let layer = BatchNorm2d(5)
        XCTAssertEqual(layer.namedParameters().map(\.0), ["weight", "bias", "running_mean", "running_var"])
        XCTAssertEqual(layer.namedParameters().map(\.1.kind), [.weight, .weight, .buffer, .buffer])
        XCTAssertEqual(layer.weight!.value.scalars, [1, 1, 1, 1, 1])
        XCTAssertEqual(layer.runningVar!.value.scalars, [1, 1, 1, 1, 1])
        XCTAssertEqual(layer.parameterCount, 10)
        let plain = BatchNorm1d(3, affine: false, trackRunningStats: false)
        XCTAssertTrue(plain.namedParameters().isEmpty)
        // Without running statistics, evaluation still normalizes with the batch's own.
        plain.eval()
        let y = plain(Tensor(shape: [2, 3], values: [1, 2, 3, 3, 6, 9]))
        for (a, e) in zip(y.scalars, [-1, -1, -1, 1, 1, 1] as [Float]) { XCTAssertEqual(a, e, accuracy: 1e-3) }
    }

    func testLayerNormOverSeveralTrailingDimensions() {
        var rng = RandomGenerator(seed: 8)
        let x = Tensor.randomNormal([2, 3, 4], using: &rng)
        let layer = LayerNorm([3, 4])
        let y = layer(x)
        let flat = x.reshaped([2, 12]).layerNorm(weight: nil, bias: nil)
        XCTAssertEqual(y.shape, [2, 3, 4])
        for (a, e) in zip(y.scalars, flat.scalars) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }
}
