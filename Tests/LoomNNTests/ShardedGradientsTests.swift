import XCTest
@testable import LoomNN
import LoomTensor

/// A batch cut into shards, each computed on its own thread, must give the gradients of the
/// whole batch: every shard's forward pass reads the same weights, and the shards' gradients
/// are summed into the parameters' own.
final class ShardedGradientsTests: XCTestCase {
    /// Two layers, the second used twice (a tied weight), over `rows` rows of 16 features;
    /// 120 rows per shard takes the packed product with weight packs shared by the shards.
    private final class Net: Module {
        let first: Linear
        let second: Linear
        let frozen: Linear

        init(seed: UInt64) {
            var rng = RandomGenerator(seed: seed)
            first = Linear(16, 32, using: &rng)
            second = Linear(32, 32, bias: false, using: &rng)
            frozen = Linear(32, 8, using: &rng)
            super.init()
            frozen.weight.isFrozen = true
        }

        func loss(_ x: Tensor) -> Tensor {
            let hidden = second(second(first(x).gelu()).gelu())
            return frozen(hidden).square().mean()
        }
    }

    private func inputs(rows: Int) -> Tensor {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor(uninitializedShape: [rows, 16])
        rng.fillNormal(x.pointer, count: x.count, std: 1)
        return x
    }

    private func rows(_ x: Tensor, _ range: Range<Int>) -> Tensor {
        Tensor(shape: [range.count, 16], values: Array(x.scalars[range.lowerBound * 16..<range.upperBound * 16]))
    }

    private func gradients(_ net: Module) -> [[Float]] {
        net.namedParameters().filter { $0.1.isTrainable }.map { $0.1.grad.map { Array($0.buffer) } ?? [] }
    }

    private func assertClose(_ a: [[Float]], _ b: [[Float]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.count), b.map(\.count), file: file, line: line)
        for (x, y) in zip(a, b) {
            let scale = x.map(abs).max() ?? 0
            XCTAssertGreaterThan(scale, 0, file: file, line: line)
            for (u, v) in zip(x, y) { XCTAssertEqual(u, v, accuracy: 1e-5 * scale, file: file, line: line) }
        }
    }

    /// The gradient of the mean loss over all rows, and the shards' weighted gradients.
    private func compare(total: Int, cuts: [Int]) {
        let x = inputs(rows: total)
        let whole = Net(seed: 5)
        let wholeLoss = whole.loss(x)
        wholeLoss.backward()

        let sharded = Net(seed: 5)
        let bounds = zip([0] + cuts, cuts + [total]).map { $0..<$1 }
        let losses = ShardedGradients.run(parameters: sharded.parameters,
                                          weights: bounds.map { Float($0.count) / Float(total) }) { shard in
            sharded.loss(self.rows(x, bounds[shard]))
        }
        let combined = zip(losses, bounds).reduce(Float(0)) { $0 + $1.0 * Float($1.1.count) / Float(total) }
        XCTAssertEqual(combined, wholeLoss.item, accuracy: 1e-5 * abs(wholeLoss.item))
        assertClose(gradients(sharded), gradients(whole))
        XCTAssertNil(sharded.frozen.weight.grad, "a frozen weight collects no gradient")
    }

    func testTwoShardsGiveTheWholeBatchGradient() { compare(total: 240, cuts: [120]) }

    func testUnevenShardsGiveTheWholeBatchGradient() { compare(total: 250, cuts: [100, 210]) }

    func testSmallShardsWithoutPackedProductsGiveTheWholeBatchGradient() { compare(total: 12, cuts: [5]) }

    func testASecondStepAddsToTheGradientsUntilTheyAreZeroed() {
        let x = inputs(rows: 240)
        let net = Net(seed: 5)
        let halves = [0..<120, 120..<240]
        func step() {
            _ = ShardedGradients.run(parameters: net.parameters, weights: [0.5, 0.5]) { net.loss(self.rows(x, halves[$0])) }
        }
        step()
        let once = gradients(net)
        step()
        assertClose(gradients(net), once.map { $0.map { 2 * $0 } })
        for parameter in net.parameters { parameter.zeroGrad() }
        step()
        assertClose(gradients(net), once)
    }

    /// Shard 0 draws dropout masks from the layer's generator, shard 1 from one split from it
    /// at the start of the step: the same gradients as running the halves one after the other
    /// with those generators, and the same generator state afterwards.
    func testDropoutShardsDrawFromGeneratorsSplitAtTheStep() {
        final class DropNet: Module {
            let layer: Linear
            let drop: Dropout
            override init() {
                var rng = RandomGenerator(seed: 9)
                layer = Linear(16, 32, using: &rng)
                drop = Dropout(0.5, using: &rng)
            }
            func loss(_ x: Tensor) -> Tensor { drop(layer(x)).square().mean() }
        }
        let x = inputs(rows: 240)
        let halves = [0..<120, 120..<240]
        let sharded = DropNet()
        _ = ShardedGradients.run(parameters: sharded.parameters, dropouts: [sharded.drop], weights: [0.5, 0.5]) {
            sharded.loss(self.rows(x, halves[$0]))
        }

        let serial = DropNet()
        let split = serial.drop.generator.split()
        (serial.loss(rows(x, halves[0])) * 0.5).backward()
        let main = serial.drop.generator
        serial.drop.generator = split
        (serial.loss(rows(x, halves[1])) * 0.5).backward()
        serial.drop.generator = main

        XCTAssertEqual(sharded.drop.generator, serial.drop.generator)
        assertClose(gradients(sharded), gradients(serial))
        // The two halves' masks differ: without the split, shard 1 would repeat shard 0's draws.
        XCTAssertNotEqual(split, main)
    }

    func testShardsOutsideAStepReadTheParametersOwnLeaves() {
        let net = Net(seed: 5)
        _ = ShardedGradients.run(parameters: net.parameters, weights: [0.5, 0.5]) { net.loss(self.rows(self.inputs(rows: 12), $0 == 0 ? 0..<6 : 6..<12)) }
        let before = gradients(net)
        // A pass after the step, on this thread, writes into the parameters' own gradients.
        net.loss(inputs(rows: 4)).backward()
        XCTAssertNotEqual(gradients(net)[0], before[0])
    }
}
