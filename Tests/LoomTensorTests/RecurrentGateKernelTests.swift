import Foundation
import XCTest
@testable import LoomTensor

/// The C gate kernels (eight AVX2 lanes and the scalar tail) against the cell equations in
/// double precision, for a width of 19: two full vectors and three left over.
final class RecurrentGateKernelTests: XCTestCase {
    let n = 19

    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in (rng.nextFloat() - 0.5) * 12 }  // spans the saturated ends too
    }

    func testLSTMForwardMatchesTheEquations() {
        var gates = values(4 * n, seed: 1), c = values(n, seed: 2)
        let pre = gates.map(Double.init), c0 = c.map(Double.init)
        var aux = [Float](repeating: 0, count: n), h = [Float](repeating: 0, count: n), out = h
        RecurrentCellMath.lstmForward(hidden: n, gates: &gates, aux: &aux, h: &h, c: &c, out: &out)
        for j in 0..<n {
            let i = sigmoid(pre[j]), f = sigmoid(pre[n + j]), g = tanh(pre[2 * n + j]), o = sigmoid(pre[3 * n + j])
            let cell = f * c0[j] + i * g
            XCTAssertEqual(Double(gates[j]), i, accuracy: 1e-6)
            XCTAssertEqual(Double(gates[n + j]), f, accuracy: 1e-6)
            XCTAssertEqual(Double(gates[2 * n + j]), g, accuracy: 1e-6)
            XCTAssertEqual(Double(gates[3 * n + j]), o, accuracy: 1e-6)
            XCTAssertEqual(Double(c[j]), cell, accuracy: 1e-5)
            XCTAssertEqual(Double(aux[j]), tanh(cell), accuracy: 1e-6)
            XCTAssertEqual(Double(h[j]), o * tanh(cell), accuracy: 1e-6)
            XCTAssertEqual(out[j], h[j])
        }
    }

    func testGRUForwardMatchesTheEquations() {
        var gates = values(3 * n, seed: 3)
        let hh = values(3 * n, seed: 4), bias = values(n, seed: 5)
        var h = values(n, seed: 6).map { $0 / 6 }
        let pre = gates.map(Double.init), h0 = h.map(Double.init)
        var aux = [Float](repeating: 0, count: n), out = aux
        RecurrentCellMath.gruForward(hidden: n, gates: &gates, hh: hh, biasHN: bias, aux: &aux, h: &h, out: &out)
        for j in 0..<n {
            let r = sigmoid(pre[j] + Double(hh[j])), z = sigmoid(pre[n + j] + Double(hh[n + j]))
            let hn = Double(hh[2 * n + j]) + Double(bias[j])
            let candidate = tanh(pre[2 * n + j] + r * hn)
            XCTAssertEqual(Double(gates[j]), r, accuracy: 1e-6)
            XCTAssertEqual(Double(gates[n + j]), z, accuracy: 1e-6)
            XCTAssertEqual(Double(gates[2 * n + j]), candidate, accuracy: 1e-6)
            XCTAssertEqual(Double(aux[j]), hn, accuracy: 1e-6)
            XCTAssertEqual(Double(h[j]), (1 - z) * candidate + z * h0[j], accuracy: 1e-6)
            XCTAssertEqual(out[j], h[j])
        }
    }
}
