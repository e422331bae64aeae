import XCTest
@testable import LoomTensor

/// Finite-difference checks of the fused recurrent sequence op, one per cell kind, with
/// every input (x, weights, biases, initial states) checked and variable lengths in play.
final class RecurrentGradientTests: XCTestCase {
    func testTanhRNNGradients() { check(.rnnTanh, reverse: false) }
    func testReluRNNGradients() { check(.rnnRelu, reverse: true) }
    func testLSTMGradients() { check(.lstm, reverse: false); check(.lstm, reverse: true) }
    func testGRUGradients() { check(.gru, reverse: false); check(.gru, reverse: true) }
    /// One step (a decoder's) takes a different path: one BLAS product instead of a packed W_hh.
    func testSingleStepGradients() { for kind in RecurrentCellKind.allCases { check(kind, reverse: false, steps: 1) } }

    private func check(_ kind: RecurrentCellKind, reverse: Bool, steps: Int = 4) {
        let (batch, inputSize, width) = (2, 3, 3)
        let gateWidth = kind.gateCount * width
        var rng = RandomGenerator(seed: 11)
        var inputs = [
            Tensor.randomNormal([batch, steps, inputSize], using: &rng),
            Tensor.randomNormal([gateWidth, inputSize], std: 0.5, using: &rng),
            Tensor.randomNormal([gateWidth, width], std: 0.5, using: &rng),
            Tensor.randomNormal([gateWidth], std: 0.5, using: &rng),
            Tensor.randomNormal([gateWidth], std: 0.5, using: &rng),
            Tensor.randomNormal([batch, width], std: 0.5, using: &rng),
        ]
        if kind.hasCellState { inputs.append(Tensor.randomNormal([batch, width], std: 0.5, using: &rng)) }
        let report = checkGradients(inputs, epsilon: 1e-2) { t in
            let r = Tensor.recurrentSequence(kind, input: t[0], weightIH: t[1], weightHH: t[2], biasIH: t[3], biasHH: t[4],
                                             hidden: t[5], cell: kind.hasCellState ? t[6] : nil, lengths: [steps, (steps + 1) / 2], reverse: reverse)
            var parts = [r.output.reshaped([-1]), r.hidden.reshaped([-1])]
            if let cell = r.cell { parts.append(cell.reshaped([-1])) }
            return Tensor.concat(parts, axis: 0)
        }
        XCTAssertLessThan(report.worstError, 2e-3, "\(kind) reverse \(reverse): \(report)")
    }

    /// Steps past a sequence's length output zeros and leave its state as it was.
    func testPaddedStepsKeepStateAndOutputZeros() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([2, 3, 2], using: &rng)
        let wi = Tensor.randomNormal([8, 2], using: &rng), wh = Tensor.randomNormal([8, 2], using: &rng)
        let full = Tensor.recurrentSequence(.lstm, input: x.slice(axis: 0, 1..<2).slice(axis: 1, 0..<1),
                                            weightIH: wi, weightHH: wh, biasIH: nil, biasHH: nil)
        let padded = Tensor.recurrentSequence(.lstm, input: x, weightIH: wi, weightHH: wh, biasIH: nil, biasHH: nil, lengths: [3, 1])
        XCTAssertEqual(Array(padded.hidden.scalars[2..<4]), full.hidden.scalars)
        XCTAssertEqual(Array(padded.output.scalars[8..<12]), [0, 0, 0, 0])
        let reversed = Tensor.recurrentSequence(.lstm, input: x, weightIH: wi, weightHH: wh, biasIH: nil, biasHH: nil,
                                                lengths: [3, 1], reverse: true)
        XCTAssertEqual(Array(reversed.hidden.scalars[2..<4]), full.hidden.scalars)
    }
}
