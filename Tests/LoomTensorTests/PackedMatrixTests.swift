import XCTest
@testable import LoomTensor

/// The packed product of recurrent steps against a double-precision loop, and the recurrent
/// op split over threads by batch rows against the same sequences run one at a time.
final class PackedMatrixTests: XCTestCase {
    /// Sizes with partial panels (n not a multiple of 16), every row-tile tail (m mod 6),
    /// padded row strides, both source layouts, and both overwrite and accumulate.
    func testProductMatchesDoubleLoop() {
        var rng = RandomGenerator(seed: 5)
        for (m, k, n) in [(1, 5, 3), (7, 33, 37), (13, 64, 16), (6, 16, 48), (11, 9, 100)] {
            for transposed in [false, true] {
                for accumulate in [false, true] {
                    let lda = k + 3, ldc = n + 2
                    let a = Tensor.randomNormal([m * lda], using: &rng).scalars
                    let b = Tensor.randomNormal([k * n], using: &rng).scalars  // (k, n), or (n, k) when transposed
                    let c0 = Tensor.randomNormal([m * ldc], using: &rng).scalars
                    var c = c0
                    let packed = b.withUnsafeBufferPointer {
                        PackedMatrix($0.baseAddress!, rows: k, columns: n, transposed: transposed)
                    }
                    packed.multiply(count: m, a: a, lda: lda, into: &c, ldc: ldc, accumulate: accumulate)
                    for r in 0..<m {
                        for j in 0..<n {
                            var sum = accumulate ? Double(c0[r * ldc + j]) : 0
                            for kk in 0..<k {
                                let bValue = transposed ? b[j * k + kk] : b[kk * n + j]
                                sum += Double(a[r * lda + kk]) * Double(bValue)
                            }
                            XCTAssertEqual(Double(c[r * ldc + j]), sum, accuracy: 1e-4,
                                           "m \(m) k \(k) n \(n) transposed \(transposed) accumulate \(accumulate) at (\(r), \(j))")
                        }
                        for j in n..<ldc { XCTAssertEqual(c[r * ldc + j], c0[r * ldc + j], "padding at row \(r) was written") }
                    }
                }
            }
        }
    }

    /// A batch large enough to be split across threads gives each sequence exactly the
    /// outputs it has alone, and the same gradients, with lengths that end mid-batch.
    func testSplitBatchMatchesSequencesRunAlone() {
        for kind in [RecurrentCellKind.lstm, .gru] {
            let (batch, steps, inputSize, width) = (4, 8, 5, 112)
            XCTAssertGreaterThanOrEqual(batch * steps * kind.gateCount * width * width, 1 << 20, "too small to split")
            let gateWidth = kind.gateCount * width
            let lengths = [8, 3, 6, 1]
            var rng = RandomGenerator(seed: 21)
            let x = Tensor.randomNormal([batch, steps, inputSize], using: &rng)
            let weights = [Tensor.randomNormal([gateWidth, inputSize], std: 0.3, using: &rng),
                           Tensor.randomNormal([gateWidth, width], std: 0.1, using: &rng),
                           Tensor.randomNormal([gateWidth], std: 0.3, using: &rng),
                           Tensor.randomNormal([gateWidth], std: 0.3, using: &rng)]
            let seed = Tensor.randomNormal([batch, steps, width], using: &rng)

            func run(_ input: Tensor, _ lengths: [Int], seed: Tensor) -> (output: [Float], inputGrad: [Float], weightGrads: [[Float]]) {
                let leaves = weights.map { $0.copied().requiringGradient() }
                let xLeaf = input.copied().requiringGradient()
                let result = Tensor.recurrentSequence(kind, input: xLeaf, weightIH: leaves[0], weightHH: leaves[1],
                                                      biasIH: leaves[2], biasHH: leaves[3], lengths: lengths)
                result.output.backward(seed: seed)
                return (result.output.scalars, xLeaf.grad!.scalars, leaves.map { $0.grad!.scalars })
            }
            let whole = run(x, lengths, seed: seed)
            var summedWeightGrads = weights.map { [Float](repeating: 0, count: $0.count) }
            for b in 0..<batch {
                let alone = run(x.slice(axis: 0, b..<(b + 1)).copied(), [lengths[b]],
                                seed: seed.slice(axis: 0, b..<(b + 1)).copied())
                let rows = (b * steps * width)..<((b + 1) * steps * width)
                let firstDifference = zip(whole.output[rows], alone.output).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                XCTAssertNil(firstDifference, "\(kind) sequence \(b): outputs differ first at \(firstDifference ?? 0)")
                let inputRows = (b * steps * inputSize)..<((b + 1) * steps * inputSize)
                for (got, want) in zip(whole.inputGrad[inputRows], alone.inputGrad) {
                    XCTAssertEqual(got, want, accuracy: 1e-5, "\(kind) sequence \(b) input gradient")
                }
                for w in 0..<weights.count { for i in 0..<weights[w].count { summedWeightGrads[w][i] += alone.weightGrads[w][i] } }
            }
            for w in 0..<weights.count {
                for (got, want) in zip(whole.weightGrads[w], summedWeightGrads[w]) {
                    XCTAssertEqual(got, want, accuracy: 1e-4 * max(1, abs(want)), "\(kind) weight \(w) gradient")
                }
            }
        }
    }
}
