import XCTest
import LoomTensor
@testable import LoomNN

/// Three steps of each optimizer on Σ w³ + c·w from w = (1, -2, 0.5), against values
/// printed by torch.optim (PyTorch 2, float32) with the same settings.
final class OptimizerReferenceTests: XCTestCase {
    func threeSteps(_ make: ([(String, Parameter)]) -> Optimizer) -> [Float] {
        let p = Parameter(Tensor(shape: [3], values: [1, -2, 0.5]))
        let optimizer = make([("w", p)])
        let c = Tensor(shape: [3], values: [0.3, -0.7, 1.1])
        for _ in 0..<3 {
            optimizer.zeroGrad()
            (p.tensor.pow(3).sum() + (p.tensor * c).sum()).backward()
            optimizer.step()
        }
        return p.value.scalars
    }

    func assertClose(_ actual: [Float], _ expected: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let worst = zip(actual, expected).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max()!
        print("reference \(label): largest difference \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(label): \(actual) vs \(expected)", file: file, line: line)
    }

    func testAgainstTorchOptim() {
        assertClose(threeSteps { RMSProp(parameters: $0, learningRate: 0.01, alpha: 0.9, epsilon: 1e-8) },
                    [0.927725554, -2.07461143, 0.427520424], "RMSprop")
        assertClose(threeSteps { RMSProp(parameters: $0, learningRate: 0.01, alpha: 0.9, epsilon: 1e-8, momentum: 0.5, centered: true, weightDecay: 0.1) },
                    [0.88359344, -2.12055492, 0.383255512], "RMSprop centered, momentum, weight decay")
        assertClose(threeSteps { Adagrad(parameters: $0, learningRate: 0.1, learningRateDecay: 0.01, epsilon: 1e-10) },
                    [0.788944662, -2.23469996, 0.285811812], "Adagrad with lr decay")
        assertClose(threeSteps { Adam(parameters: $0, learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1) },
                    [0.970029712, -2.03001618, 0.470026612], "Adam with coupled weight decay")
        assertClose(threeSteps { SGD(parameters: $0, learningRate: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01) },
                    [0.343343109, -6.23184538, 0.0960197225], "SGD with dampening and weight decay")
    }
}
