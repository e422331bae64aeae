import Foundation
import XCTest
@testable import LoomTensor

/// The vectorized exp, tanh and GELU against libm across their whole useful range.
final class FastMathTests: XCTestCase {
    let samples: [Float] = stride(from: -30, through: 30, by: 0.0137).map { Float($0) } + [0, -0, 1e-8, -1e-8, 88, -87, 100, -100]

    func testExpMatchesLibm() {
        var worst: Float = 0
        for x in stride(from: Float(-80), through: 80, by: 0.0173) {
            let got = lanesExp(FloatLanes(repeating: x))[0], want = Foundation.exp(x)
            worst = max(worst, abs(got - want) / want)
        }
        XCTAssertLessThan(worst, 5e-7, "worst relative error \(worst)")
        XCTAssertTrue(lanesExp(FloatLanes(repeating: 200))[0].isFinite)
        XCTAssertEqual(lanesExp(FloatLanes(repeating: -200))[0], 0, accuracy: 1e-37)
    }

    func testTanhAndGeluMatchLibm() {
        let x = Tensor(shape: [samples.count], values: samples)
        let tanh = x.tanh().scalars, gelu = x.gelu().scalars
        for (i, v) in samples.enumerated() {
            XCTAssertEqual(tanh[i], Foundation.tanh(v), accuracy: 3e-7, "tanh(\(v))")
            XCTAssertEqual(gelu[i], geluTanh(v), accuracy: 3e-7 * max(1, abs(v)), "gelu(\(v))")
        }
    }

    func testGeluGradientMatchesScalarDerivative() {
        let x = Tensor(shape: [samples.count], values: samples).requiringGradient()
        x.gelu().sum().backward()
        let g = x.grad!.scalars
        for (i, v) in samples.enumerated() {
            XCTAssertEqual(g[i], geluTanhDerivative(v), accuracy: 1e-6, "gelu'(\(v))")
        }
    }
}
