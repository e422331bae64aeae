import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// The diffusion U-Net against the PyTorch network of tools/benchmarks/diffusion_reference.py
/// (fixture: tools/fixtures/make_diffusion_fixtures.py): same parameter names and shapes,
/// same output and gradients.
final class UNetParityTests: XCTestCase {
    func testTinyUNetMatchesPyTorch() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "unet_tiny", withExtension: "safetensors", subdirectory: "Fixtures"))
        let file = try SafeTensors.read(url)
        var config = DiffusionConfig()
        config.imageHeight = 8
        config.imageWidth = 8
        config.baseChannels = 8
        config.channelMultipliers = [1, 2]
        config.groups = 4
        config.attention = true
        XCTAssertEqual(file.metadata["channel_multipliers"], "1,2")
        var rng = RandomGenerator(seed: 1)
        let model = UNet(config, using: &rng)
        var weights: [String: Tensor] = [:]
        for (key, value) in file.tensors where key.hasPrefix("param.") { weights[String(key.dropFirst(6))] = value }
        try model.load(stateDict: weights, file: url.path)  // strict: every name must match

        let x = try XCTUnwrap(file.tensors["input"]).copied().requiringGradient()
        let y = model(x, timesteps: try XCTUnwrap(file.tensors["timesteps"]).scalars)
        y.backward(seed: try XCTUnwrap(file.tensors["grad_output"]))
        func close(_ actual: Tensor?, _ key: String, _ tolerance: Float) {
            guard let actual, let expected = file.tensors[key] else { return XCTFail("\(key): missing") }
            XCTAssertEqual(actual.count, expected.count, key)
            var worst: Float = 0
            for (a, e) in zip(actual.scalars, expected.scalars) { worst = max(worst, abs(a - e) / max(1, abs(e))) }
            XCTAssertLessThan(worst, tolerance, "\(key): largest difference \(worst)")
        }
        close(y, "output", 1e-4)
        close(x.grad, "grad_input", 1e-4)
        for (name, parameter) in model.namedParameters() {
            close(parameter.grad.map { Tensor(shape: parameter.shape, storage: $0) }, "grad." + name, 2e-4)
        }
    }
}
