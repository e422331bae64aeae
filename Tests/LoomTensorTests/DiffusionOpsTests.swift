import XCTest
@testable import LoomTensor

/// Group norm, SiLU and nearest upsampling: finite-difference gradients, and group norm
/// against the same formula composed from elementary ops.
final class DiffusionOpsTests: XCTestCase {
    var rng = RandomGenerator(seed: 41)

    func random(_ shape: [Int], low: Float = -1, high: Float = 1) -> Tensor {
        Tensor.randomUniform(shape, low: low, high: high, using: &rng)
    }

    func checkGradient(_ inputs: [Tensor], tolerance: Double = 2e-3, file: StaticString = #filePath, line: UInt = #line,
                       _ f: @escaping ([Tensor]) -> Tensor) {
        let report = checkGradients(inputs, maxElementsPerInput: 64, f)
        XCTAssertLessThan(report.worstError, tolerance, report.description, file: file, line: line)
    }

    func testGroupNormGradients() {
        checkGradient([random([2, 6, 3, 3]), random([6], low: 0.5, high: 1.5), random([6])]) {
            $0[0].groupNorm(groups: 3, weight: $0[1], bias: $0[2])
        }
        checkGradient([random([3, 4, 5])]) { $0[0].groupNorm(groups: 2, weight: nil, bias: nil, eps: 1e-3) }
        checkGradient([random([2, 4, 2, 2]), random([4])]) { $0[0].groupNorm(groups: 1, weight: $0[1], bias: nil) }
    }

    func testGroupNormMatchesComposedFormula() {
        let x = random([2, 6, 4, 5], low: -2, high: 3).requiringGradient(), w = random([6]).requiringGradient()
        let b = random([6]).requiringGradient()
        let fused = x.groupNorm(groups: 3, weight: w, bias: b)
        let x2 = x.copied().requiringGradient(), w2 = w.copied().requiringGradient(), b2 = b.copied().requiringGradient()
        let rows = x2.reshaped([2, 3, 40])
        let centered = rows - rows.mean(axis: -1, keepDims: true)
        let variance = (centered * centered).mean(axis: -1, keepDims: true)
        let composed = (centered / (variance + 1e-5).sqrt()).reshaped([2, 6, 4, 5]) * w2.reshaped([1, 6, 1, 1]) + b2.reshaped([1, 6, 1, 1])
        for (a, e) in zip(fused.scalars, composed.scalars) { XCTAssertEqual(a, e, accuracy: 1e-5) }
        let seed = random(fused.shape)
        fused.backward(seed: seed)
        composed.backward(seed: seed)
        for (a, e) in [(x, x2), (w, w2), (b, b2)] {
            for (ga, ge) in zip(a.grad!.scalars, e.grad!.scalars) { XCTAssertEqual(ga, ge, accuracy: 1e-4) }
        }
        // Each (image, group) row comes out with mean 0 and variance 1 before the affine step.
        let plain = x.detached().groupNorm(groups: 3, weight: nil, bias: nil).reshaped([6, 40]).scalars
        for r in 0..<6 {
            let row = plain[(r * 40)..<(r * 40 + 40)]
            let mean = row.reduce(0, +) / 40
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 40, 1, accuracy: 1e-3)
        }
    }

    func testSiLUValuesAndGradient() {
        let y = Tensor(shape: [3], values: [-2, 0, 1.5]).silu().scalars
        for (a, x) in zip(y, [-2, 0, 1.5] as [Float]) { XCTAssertEqual(a, x / (1 + Foundation.exp(-x)), accuracy: 1e-6) }
        checkGradient([random([4, 5], low: -4, high: 4)]) { $0[0].silu() }
    }

    func testUpsampleNearest() {
        let x = Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
        XCTAssertEqual(x.upsampleNearest2d(factor: 2).scalars, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        XCTAssertEqual(x.upsampleNearest2d(factor: 3).shape, [1, 1, 6, 6])
        checkGradient([random([2, 3, 3, 2])]) { $0[0].upsampleNearest2d(factor: 2) }
    }
}

/// The fused group norm + SiLU against the two ops composed.
final class GroupNormSiLUTests: XCTestCase {
    func testFusedMatchesComposedAndFiniteDifferences() {
        var rng = RandomGenerator(seed: 43)
        // 13 pixels per channel exercise both the eight-lane loop and its tail.
        let x = Tensor.randomUniform([2, 4, 13], low: -2, high: 2, using: &rng)
        let w = Tensor.randomUniform([4], low: 0.5, high: 1.5, using: &rng), b = Tensor.randomUniform([4], low: -1, high: 1, using: &rng)
        let a = [x, w, b].map { $0.copied().requiringGradient() }, c = [x, w, b].map { $0.copied().requiringGradient() }
        let fused = a[0].groupNormSiLU(groups: 2, weight: a[1], bias: a[2])
        let composed = c[0].groupNorm(groups: 2, weight: c[1], bias: c[2]).silu()
        for (p, q) in zip(fused.scalars, composed.scalars) { XCTAssertEqual(p, q, accuracy: 1e-6) }
        let seed = Tensor.randomUniform(fused.shape, low: -1, high: 1, using: &rng)
        fused.backward(seed: seed)
        composed.backward(seed: seed)
        for i in 0..<3 {
            for (p, q) in zip(a[i].grad!.scalars, c[i].grad!.scalars) { XCTAssertEqual(p, q, accuracy: 1e-5, "input \(i)") }
        }
        let report = checkGradients([x, w, b], maxElementsPerInput: 64) { $0[0].groupNormSiLU(groups: 2, weight: $0[1], bias: $0[2]) }
        XCTAssertLessThan(report.worstError, 2e-3, report.description)
    }
}
