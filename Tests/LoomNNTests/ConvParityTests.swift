import XCTest
import Foundation
import LoomTensor
@testable import LoomNN

/// One PyTorch reference case from `Tests/LoomNNTests/Fixtures` (keys as in
/// tools/fixtures/README.md), and the comparisons the layer parity tests share.
struct LayerFixture {
    let file: SafeTensors
    let name: String

    init(_ name: String) throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"),
                                "fixture \(name) is missing")
        file = try SafeTensors.read(url)
        self.name = name
    }

    func tensor(_ key: String) throws -> Tensor { try XCTUnwrap(file.tensors[key], "\(name) has no tensor '\(key)'") }

    func integer(_ key: String) throws -> Int { try XCTUnwrap(file.metadata[key].flatMap { Int($0) }, "\(name) metadata '\(key)'") }

    func float(_ key: String) throws -> Float { try XCTUnwrap(file.metadata[key].flatMap { Float($0) }, "\(name) metadata '\(key)'") }

    /// Copies the fixture's parameters and buffers into the layer by their PyTorch names.
    func load(into layer: Module) throws {
        for (key, parameter) in layer.namedParameters() {
            let value = try tensor(key)
            XCTAssertEqual(value.shape, parameter.shape, "\(name): shape of \(key)")
            parameter.assign(value.pointer)
        }
    }

    /// Runs the layer forward on the fixture's input and backward from `grad_output`, then
    /// compares the output, the input gradient and every parameter gradient.
    /// `tolerance` is relative to max(1, |expected|).
    func check(_ layer: Layer, tolerance: Float = 1e-5, gradientTolerance: Float = 1e-5,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let input = try tensor("input").copied().requiringGradient()
        let output = layer(input)
        XCTAssertEqual(output.shape, try tensor("output").shape, "\(name): output shape", file: file, line: line)
        LayerFixture.assertClose(output, try tensor("output"), tolerance, "\(name): output", file: file, line: line)
        output.backward(seed: try tensor("grad_output"))
        LayerFixture.assertClose(try XCTUnwrap(input.grad), try tensor("grad_input"), gradientTolerance,
                                 "\(name): grad_input", file: file, line: line)
        for (key, parameter) in layer.namedParameters() where parameter.kind == .weight {
            let grad = try XCTUnwrap(parameter.grad, "\(name): no gradient for \(key)")
            LayerFixture.assertClose(Tensor(shape: parameter.shape, storage: grad), try tensor("grad." + key), gradientTolerance,
                                     "\(name): grad.\(key)", file: file, line: line)
        }
    }

    static func assertClose(_ actual: Tensor, _ expected: Tensor, _ tolerance: Float, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        var worst: Float = 0
        for (a, e) in zip(actual.scalars, expected.scalars) {
            let difference = Swift.abs(a - e) / Swift.max(1, Swift.abs(e))
            worst = difference.isNaN ? .infinity : Swift.max(worst, difference)
        }
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): largest relative difference \(worst)", file: file, line: line)
    }
}

/// Conv2d and ConvTranspose2d against PyTorch.
final class ConvParityTests: XCTestCase {
    func conv(_ name: String) throws {
        let fixture = try LayerFixture(name)
        var rng = RandomGenerator(seed: 0)
        let layer = Conv2d(try fixture.integer("in_channels"), try fixture.integer("out_channels"),
                           kernelSize: try fixture.integer("kernel_size"), stride: try fixture.integer("stride"),
                           padding: try fixture.integer("padding"), using: &rng)
        try fixture.load(into: layer)
        try fixture.check(layer)
    }

    func convTranspose(_ name: String) throws {
        let fixture = try LayerFixture(name)
        var rng = RandomGenerator(seed: 0)
        let layer = ConvTranspose2d(try fixture.integer("in_channels"), try fixture.integer("out_channels"),
                                    kernelSize: try fixture.integer("kernel_size"), stride: try fixture.integer("stride"),
                                    padding: try fixture.integer("padding"), outputPadding: try fixture.integer("output_padding"),
                                    using: &rng)
        try fixture.load(into: layer)
        try fixture.check(layer)
    }

    func testConv2dMatchesPyTorch() throws {
        try conv("conv2d")
        try conv("conv2d_s1")
    }

    func testConvTranspose2dMatchesPyTorch() throws {
        try convTranspose("conv_transpose2d")
        try convTranspose("conv_transpose2d_s1")
    }

    func testConvolutionLayersUsePyTorchNamesShapesAndInitBounds() {
        var rng = RandomGenerator(seed: 4)
        let conv = Conv2d(8, 16, kernelSize: 3, padding: 1, using: &rng)
        XCTAssertEqual(conv.namedParameters().map(\.0), ["weight", "bias"])
        XCTAssertEqual(conv.weight.shape, [16, 8, 3, 3])
        let bound = 1 / Float(8 * 9).squareRoot()
        XCTAssertLessThanOrEqual(conv.weight.value.scalars.map(Swift.abs).max()!, bound)
        XCTAssertGreaterThan(conv.weight.value.scalars.map(Swift.abs).max()!, 0.9 * bound, "uniform over the whole range")
        XCTAssertLessThanOrEqual(conv.bias!.value.scalars.map(Swift.abs).max()!, bound)

        let transpose = ConvTranspose2d(8, 4, kernelSize: 4, stride: 2, padding: 1, bias: false, using: &rng)
        XCTAssertEqual(transpose.namedParameters().map(\.0), ["weight"])
        XCTAssertEqual(transpose.weight.shape, [8, 4, 4, 4])
        let transposeBound = 1 / Float(4 * 16).squareRoot()
        XCTAssertLessThanOrEqual(transpose.weight.value.scalars.map(Swift.abs).max()!, transposeBound)
        XCTAssertGreaterThan(transpose.weight.value.scalars.map(Swift.abs).max()!, 0.9 * transposeBound)
        let y = transpose(Tensor(zeros: [2, 8, 5, 5]))
        XCTAssertEqual(y.shape, [2, 4, 10, 10])
    }
}
