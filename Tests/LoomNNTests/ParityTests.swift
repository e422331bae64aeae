import XCTest
import LoomTensor
@testable import LoomNN

/// Loom against PyTorch on the committed fixtures (tools/fixtures/make_nn_fixtures.py).
final class ParityTests: XCTestCase {
    func checkLinear(_ name: String) throws {
        let f = try Fixture.load(name)
        var rng = RandomGenerator(seed: 0)
        let weight = try f.tensor("weight")
        let layer = Linear(weight.shape[1], weight.shape[0], using: &rng)
        try layer.load(stateDict: ["weight": weight, "bias": try f.tensor("bias")], file: name)
        let x = try f.tensor("input").requiringGradient()
        let y = layer(x)
        XCTAssertEqual(y.shape, try f.tensor("output").shape)
        y.backward(seed: try f.tensor("grad_output"))
        assertMatches(y, f.tensors["output"], "\(name) output")
        assertMatches(x.grad, f.tensors["grad_input"], "\(name) grad_input")
        assertMatches(layer.weight.value.grad, f.tensors["grad.weight"], "\(name) grad.weight")
        assertMatches(layer.bias!.value.grad, f.tensors["grad.bias"], "\(name) grad.bias")
    }

    func testLinear() throws { try checkLinear("linear") }
    func testLinear3D() throws { try checkLinear("linear_3d") }

    func checkFunction(_ name: String, _ layer: (Tensor) -> Tensor) throws {
        let f = try Fixture.load(name)
        let x = try f.tensor("input").requiringGradient()
        let y = layer(x)
        y.backward(seed: try f.tensor("grad_output"))
        assertMatches(y, f.tensors["output"], "\(name) output")
        assertMatches(x.grad, f.tensors["grad_input"], "\(name) grad_input")
    }

    func testElementwise() throws {
        try checkFunction("gelu_tanh") { GELU()($0) }
        try checkFunction("softmax") { $0.softmax() }
        try checkFunction("log_softmax") { $0.logSoftmax() }
    }

    func checkCrossEntropy(_ name: String) throws {
        let f = try Fixture.load(name)
        let logits = try f.tensor("logits").requiringGradient()
        let smoothing = Float(f.metadata["label_smoothing"] ?? "0") ?? 0
        let loss = Loss.crossEntropy(logits, Fixture.indices(try f.tensor("targets")), ignoreIndex: -100, labelSmoothing: smoothing)
        loss.backward()
        assertMatches(loss, f.tensors["loss"], "\(name) loss")
        assertMatches(logits.grad, f.tensors["grad_logits"], "\(name) grad_logits")
    }

    func testCrossEntropy() throws {
        try checkCrossEntropy("cross_entropy")
        try checkCrossEntropy("cross_entropy_ignore")
        try checkCrossEntropy("cross_entropy_smooth")
    }

    func checkRegression(_ name: String, _ loss: (Tensor, Tensor) -> Tensor) throws {
        let f = try Fixture.load(name)
        let x = try f.tensor("input").requiringGradient()
        let value = loss(x, try f.tensor("target"))
        value.backward()
        assertMatches(value, f.tensors["loss"], "\(name) loss")
        assertMatches(x.grad, f.tensors["grad_input"], "\(name) grad_input")
    }

    func testRegressionLosses() throws {
        try checkRegression("mse_loss", Loss.mse)
        try checkRegression("l1_loss", Loss.l1)
        try checkRegression("bce_with_logits", Loss.binaryCrossEntropyWithLogits)
    }

    func testAdamWMatchesPyTorchForThreeSteps() throws {
        let f = try Fixture.load("adamw")
        let parameters = [Parameter(try f.tensor("param.0")), Parameter(try f.tensor("param.1"))]
        // The rank-1 parameter gets no decay by the default rule, as in the fixture's second group.
        let optimizer = AdamW(parameters: [("0", parameters[0]), ("1", parameters[1])], learningRate: 0.01,
                              beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0.1)
        XCTAssertEqual(optimizer.decayed, [true, false])
        XCTAssertEqual(f.metadata["decay_1"], "0")
        for step in 1...3 {
            for (i, p) in parameters.enumerated() {
                let g = try f.tensor("grad.step\(step).\(i)")
                p.value.node!.gradBuffer().update(from: g.pointer, count: g.count)
            }
            optimizer.step()
            optimizer.zeroGrad()
            for (i, p) in parameters.enumerated() {
                assertMatches(p.value, f.tensors["after.step\(step).\(i)"], "adamw step \(step) param \(i)")
            }
        }
    }
}
