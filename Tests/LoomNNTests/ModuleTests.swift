import XCTest
import LoomTensor
@testable import LoomNN

final class ModuleTests: XCTestCase {
    final class Block: Module {
        let fc: Linear
        let heads: [Linear]
        let extra: Linear?
        let scale = Parameter(Tensor(ones: [3]), kind: .buffer)
        init(using rng: inout RandomGenerator) {
            fc = Linear(4, 3, using: &rng)
            heads = [Linear(3, 2, using: &rng), Linear(3, 2, bias: false, using: &rng)]
            extra = nil
        }
        override var propertyNames: [String: String] { ["fc": "c_fc"] }
    }

    func testParametersAreNamedLikePyTorch() {
        var rng = RandomGenerator(seed: 1)
        let block = Block(using: &rng)
        XCTAssertEqual(block.namedParameters().map(\.0),
                       ["c_fc.weight", "c_fc.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight", "scale"])
        let seq = Sequential([Linear(2, 3, using: &rng), Lambda { $0.relu() }, Linear(3, 1, using: &rng)])
        XCTAssertEqual(seq.namedParameters().map(\.0), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual(block.parameterCount, 4 * 3 + 3 + 3 * 2 + 2 + 3 * 2)
    }

    func testPackingKeepsValuesAndCollectsGradients() {
        var rng = RandomGenerator(seed: 2)
        let layer = Linear(3, 2, using: &rng)
        let before = layer.weight.value.scalars + layer.bias!.value.scalars
        let packed = PackedParameters(layer)
        XCTAssertEqual(Array(packed.values.buffer), before)
        let x = Tensor(shape: [1, 3], values: [1, 2, 3])
        layer(x).sum().backward()
        XCTAssertEqual(Array(packed.grads.buffer), [1, 2, 3, 1, 2, 3, 1, 1])
        packed.zeroGrad()
        XCTAssertEqual(layer.weight.grad.map { Array($0.buffer) }, [0, 0, 0, 0, 0, 0])
    }

    func testFrozenWeightsCollectNoGradient() {
        var rng = RandomGenerator(seed: 3)
        let layer = Linear(3, 2, using: &rng)
        layer.freeze()
        let y = layer(Tensor(shape: [1, 3], values: [1, 2, 3]).requiringGradient())
        y.sum().backward()
        XCTAssertNil(layer.weight.grad)
    }
}
