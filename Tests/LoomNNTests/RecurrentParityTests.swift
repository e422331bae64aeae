import XCTest
import Foundation
import LoomTensor
@testable import LoomNN

/// Recurrent layers against torch.nn.RNN / LSTM / GRU (2 layers, bidirectional,
/// batch_first), from fixtures written by tools/fixtures/make_rnn_fixtures.py.
final class RecurrentParityTests: XCTestCase {
    func testTanhRNNMatchesPyTorch() throws { try checkParity("rnn_tanh", kind: .rnnTanh) }
    func testReluRNNMatchesPyTorch() throws { try checkParity("rnn_relu", kind: .rnnRelu) }
    func testLSTMMatchesPyTorch() throws { try checkParity("rnn_lstm", kind: .lstm) }
    func testGRUMatchesPyTorch() throws { try checkParity("rnn_gru", kind: .gru) }
    func testPackedLSTMMatchesPyTorch() throws { try checkParity("rnn_lstm_packed", kind: .lstm) }
    func testPackedGRUMatchesPyTorch() throws { try checkParity("rnn_gru_packed", kind: .gru) }

    private func checkParity(_ name: String, kind: RecurrentCellKind) throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        let file = try SafeTensors.read(url).tensors
        func tensor(_ key: String) throws -> Tensor { try XCTUnwrap(file[key], "\(name): no tensor \(key)") }
        let input = try tensor("input")
        let (batch, inputSize) = (input.shape[0], input.shape[2])
        let hiddenSize = try tensor("h0").shape[2]
        var rng = RandomGenerator(seed: 1)
        let layer = Recurrent(kind: kind, inputSize: inputSize, hiddenSize: hiddenSize, layers: 2, bidirectional: true, using: &rng)
        let weightNames = layer.namedParameters().map(\.0)
        try layer.load(stateDict: file.filter { weightNames.contains($0.key) })
        let lengths = file["lengths"].map { $0.scalars.map { Int($0) } }
        XCTAssertEqual(lengths?.count ?? batch, batch)

        let x = input.copied().requiringGradient()
        let h0 = try tensor("h0").copied().requiringGradient()
        let c0 = kind.hasCellState ? try tensor("c0").copied().requiringGradient() : nil
        let (output, state) = layer(x, state: RecurrentState(hidden: h0, cell: c0), lengths: lengths)
        var objective = try (output * tensor("grad_output")).sum() + (state.hidden * tensor("grad_h_n")).sum()
        if let cell = state.cell { objective = try objective + (cell * tensor("grad_c_n")).sum() }
        objective.backward()

        var worst: (Float, String) = (0, "")
        func compare(_ actual: Tensor?, _ key: String) throws {
            let expected = try tensor(key)
            let actual = try XCTUnwrap(actual, "\(name): nothing to compare with \(key)")
            XCTAssertEqual(actual.shape, expected.shape, "\(name) \(key)")
            for (a, e) in zip(actual.scalars, expected.scalars) where Swift.abs(a - e) > worst.0 { worst = (Swift.abs(a - e), key) }
        }
        try compare(output, "output")
        try compare(state.hidden, "h_n")
        if kind.hasCellState { try compare(state.cell, "c_n"); try compare(c0?.grad, "grad.c0") }
        try compare(x.grad, "grad.input")
        try compare(h0.grad, "grad.h0")
        for (key, parameter) in layer.namedParameters() {
            try compare(parameter.grad.map { Tensor(shape: parameter.shape, storage: $0) }, "grad." + key)
        }
        print("\(name): largest difference from PyTorch \(worst.0) (\(worst.1))")
        XCTAssertLessThan(worst.0, 1e-5, "\(name): largest difference \(worst.0) in \(worst.1)")
    }

    func testParameterNamesFollowPyTorch() {
        var rng = RandomGenerator(seed: 2)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: true, dropout: 0.1, using: &rng)
        XCTAssertEqual(lstm.namedParameters().map(\.0), [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ])
        XCTAssertEqual(lstm.namedParameters().first { $0.0 == "weight_ih_l1" }?.1.shape, [16, 8])
        let cell = GRUCell(inputSize: 3, hiddenSize: 4, using: &rng)
        XCTAssertEqual(cell.namedParameters().map(\.0), ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
    }
}
