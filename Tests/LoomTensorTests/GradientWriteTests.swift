import XCTest
@testable import LoomTensor

/// The first contribution to a gradient overwrites its buffer and later ones add: a tensor
/// read twice, a leaf reached by two backward passes, and a lazily zeroed leaf must all end
/// with the same values as adding into a zeroed buffer would give.
final class GradientWriteTests: XCTestCase {
    var rng = RandomGenerator(seed: 11)

    func random(_ shape: [Int]) -> Tensor {
        Tensor.randomUniform(shape, low: -1, high: 1, using: &rng).requiringGradient()
    }

    /// Σ r·f, with r fixed per output shape, so every element's gradient differs.
    func weightedSum(_ y: Tensor, seed: UInt64 = 5) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        return (y * Tensor.randomUniform(y.shape, low: -1, high: 1, using: &generator)).sum()
    }

    /// Gradients of the inputs after one backward through Σ r·f.
    func gradients(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor) -> [[Float]] {
        weightedSum(f(inputs)).backward()
        return inputs.map { $0.grad?.scalars ?? [] }
    }

    /// f applied twice to the same inputs: every input's gradient must be twice that of one
    /// application (the second contribution adds to what the first wrote). Sums over rows
    /// (biases, broadcast operands) round differently when continued, hence the tolerance.
    func checkTwice(_ shapes: [[Int]], file: StaticString = #filePath, line: UInt = #line, _ f: @escaping ([Tensor]) -> Tensor) {
        let values = shapes.map { random($0) }
        let once = gradients(values.map { $0.detached().requiringGradient() }, f)
        let pair = values.map { $0.detached().requiringGradient() }
        (weightedSum(f(pair)) + weightedSum(f(pair))).backward()
        for (i, input) in pair.enumerated() {
            let got = input.grad?.scalars ?? []
            XCTAssertEqual(got.count, once[i].count, "input \(i)", file: file, line: line)
            for (a, b) in zip(got, once[i]) {
                XCTAssertEqual(a, 2 * b, accuracy: 1e-5 * max(1, abs(b)), "input \(i)", file: file, line: line)
            }
        }
    }

    func testEveryOpAddsASecondContributionToItsFirst() {
        checkTwice([[3, 4], [3, 4]]) { $0[0] + $0[1] }
        checkTwice([[3, 4], [3, 4]]) { $0[0] * $0[1] }
        checkTwice([[2, 3, 4], [4]]) { $0[0] - $0[1] }  // a broadcast operand and a full one
        checkTwice([[3, 4]]) { $0[0] * 3 + 1 }
        checkTwice([[5, 7]]) { $0[0].gelu() }
        checkTwice([[5, 7]]) { $0[0].tanh() }
        checkTwice([[5, 7]]) { $0[0].exp() }
        checkTwice([[4, 6], [6], [6]]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        checkTwice([[4, 6]]) { $0[0].layerNorm(weight: nil, bias: nil) }
        checkTwice([[2, 5, 72]]) { $0[0].causalSelfAttention(heads: 3) }  // head size 8: the vector kernel
        checkTwice([[2, 5, 18]]) { $0[0].causalSelfAttention(heads: 2) }  // head size 3: the portable one
        checkTwice([[2, 3, 4], [5, 4], [5]]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        checkTwice([[130, 24], [40, 24]]) { Tensor.linear($0[0], weight: $0[1], bias: nil) }  // the packed GEMM
        checkTwice([[2, 3, 4], [2, 4, 5]]) { Tensor.matmul($0[0], $0[1]) }
        checkTwice([[2, 4, 3], [4, 5]]) { Tensor.matmul($0[0], $0[1], transposeA: true) }
    }

    /// One tensor as both operands of one op: the second operand's gradient adds to the
    /// first's, as two separate leaves' gradients summed.
    func checkSameOperand(_ shape: [Int], file: StaticString = #filePath, line: UInt = #line,
                          _ f: @escaping (Tensor, Tensor) -> Tensor) {
        let x = random(shape)
        let separate = gradients([x.detached().requiringGradient(), x.detached().requiringGradient()]) { f($0[0], $0[1]) }
        let shared = gradients([x.detached().requiringGradient()]) { f($0[0], $0[0]) }
        let expected = zip(separate[0], separate[1]).map { $0 + $1 }
        for (a, b) in zip(shared[0], expected) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), file: file, line: line) }
    }

    func testOneTensorAsBothOperands() {
        checkSameOperand([3, 4]) { $0 + $1 }
        checkSameOperand([3, 4]) { $0 * $1 }
        checkSameOperand([4, 4]) { Tensor.linear($0, weight: $1, bias: nil) }
        checkSameOperand([3, 5]) { Tensor.matmul($0, $1, transposeB: true) }
        checkSameOperand([2, 3, 3]) { Tensor.matmul($0, $1, transposeA: true) }
    }

    /// A sum or difference may hand its gradient buffer to its first operand (when that is
    /// an op's result with no gradient yet): later contributions must add to it, and an
    /// operand that already has a gradient gets the usual copy.
    func testSumPassesItsGradientToItsFirstOperand() {
        checkTwice([[3, 4], [3, 4]]) { ($0[0] * 2) + $0[1] }
        checkTwice([[3, 4], [3, 4]]) { ($0[0] * 2) - $0[1] }
        checkTwice([[3, 4]]) { ($0[0] * 2) + ($0[0] * 2) }
        let cases: [([Tensor]) -> Tensor] = [
            { let h = $0[0] * 2; return (h + $0[1]) * h },  // h's gradient exists before the sum's backward
            { let h = $0[0] * 2; return (h + $0[1]).tanh() + h.exp() },  // the sum's buffer is h's, then exp adds
            { let h = $0[0] * 2; return (h + h) * $0[1] },  // one node as both operands: no hand-over
            { let h = $0[0].tanh(); return ((h - $0[1]) + h).square() },
        ]
        for f in cases {
            let report = checkGradients([Tensor.randomUniform([3, 4], low: -1, high: 1, using: &rng),
                                         Tensor.randomUniform([3, 4], low: -1, high: 1, using: &rng)], f)
            XCTAssertLessThan(report.worstError, 2e-3, report.description)
        }
    }

    func testSharedRightOperandSumsEveryBatchIntoItsGradient() {
        let report = checkGradients([Tensor.randomUniform([3, 4, 2], low: -1, high: 1, using: &rng),
                                     Tensor.randomUniform([4, 5], low: -1, high: 1, using: &rng)]) {
            Tensor.matmul($0[0], $0[1], transposeA: true)
        }
        XCTAssertLessThan(report.worstError, 2e-3, report.description)
    }

    func testLazilyZeroedLeafReadsAsZerosAndIsOverwrittenByTheNextBackward() {
        let w = random([2, 3]), x = Tensor.randomUniform([4, 3], low: -1, high: 1, using: &rng)
        let step = { self.weightedSum(Tensor.linear(x, weight: w, bias: nil)).backward() }
        step()
        let once = w.grad!.scalars
        step()
        XCTAssertEqual(w.grad!.scalars, once.map { 2 * $0 })  // a second pass adds (gradient accumulation)
        w.node!.zeroGradient()
        XCTAssertEqual(w.grad!.scalars, [Float](repeating: 0, count: 6))
        step()
        w.node!.zeroGradient()
        step()  // overwrites the stale values
        XCTAssertEqual(w.grad!.scalars, once)
        w.node!.zeroGradient()
        weightedSum(w.indexSelect(rows: [1])).backward()  // an op that adds into a zero-filled buffer
        XCTAssertEqual(w.grad!.scalars.prefix(3), [0, 0, 0])
    }

    func testTiedMatrixSumsItsLookupAndProductGradients() {
        let table = random([5, 3])
        let tokens: [Int32] = [4, 0, 4, 2]
        func loss(_ lookup: Tensor, _ product: Tensor) -> Tensor {
            weightedSum(Tensor.linear(lookup.indexSelect(rows: tokens), weight: product, bias: nil))
        }
        let separate = [table.detached().requiringGradient(), table.detached().requiringGradient()]
        loss(separate[0], separate[1]).backward()
        let expected = zip(separate[0].grad!.scalars, separate[1].grad!.scalars).map { $0 + $1 }
        for microBatches in 1...2 {
            table.node!.zeroGradient()
            for _ in 0..<microBatches { loss(table, table).backward() }
            for (a, b) in zip(table.grad!.scalars, expected) {
                XCTAssertEqual(a, Float(microBatches) * b, accuracy: 1e-5 * max(1, abs(b)))
            }
        }
    }
}
