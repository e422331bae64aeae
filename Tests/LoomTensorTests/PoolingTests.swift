import XCTest
@testable import LoomTensor

/// Max and average pooling: values against direct loops, gradients against finite differences.
final class PoolingTests: XCTestCase {
    var rng = RandomGenerator(seed: 5)

    /// Distinct values at least 0.05 apart, shuffled, so a finite-difference step of 0.01
    /// never changes which element of a window is the maximum.
    func spread(_ shape: [Int]) -> Tensor {
        var values = (0..<shape.reduce(1, *)).map { Float($0) * 0.05 - 1 }
        values.shuffle(using: &rng)
        return Tensor(shape: shape, values: values)
    }

    func checkGradient(_ input: Tensor, file: StaticString = #filePath, line: UInt = #line, _ f: @escaping (Tensor) -> Tensor) {
        let report = checkGradients([input], maxElementsPerInput: 200) { f($0[0]) }
        XCTAssertLessThan(report.worstError, 2e-3, report.description, file: file, line: line)
    }

    /// Direct loops over each window; padding is -inf for max and zero (counted) for average.
    func directPool(_ x: Tensor, kernel: Int, stride: Int, padding: Int, max: Bool) -> [Float] {
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1
        let xs = x.scalars
        var out: [Float] = []
        for p in 0..<planes { for r in 0..<oh { for c in 0..<ow {
            var best = -Float.infinity, total: Float = 0
            for i in 0..<kernel { for j in 0..<kernel {
                let y = r * stride - padding + i, z = c * stride - padding + j
                let v = (y < 0 || y >= h || z < 0 || z >= w) ? (max ? -Float.infinity : 0) : xs[(p * h + y) * w + z]
                best = Swift.max(best, v)
                total += v
            }}
            out.append(max ? best : total / Float(kernel * kernel))
        }}}
        return out
    }

    let cases: [(shape: [Int], kernel: Int, stride: Int, padding: Int)] = [
        ([2, 3, 6, 6], 2, 2, 0),
        ([2, 2, 7, 7], 3, 2, 1),
        ([1, 2, 5, 6], 3, 1, 1),
        ([2, 1, 7, 5], 2, 3, 1),
        ([1, 3, 4, 4], 4, 4, 2),
        ([2, 2, 5, 5], 2, 2, 0),
    ]

    func testMaxPoolMatchesDirectLoops() {
        for c in cases {
            let x = spread(c.shape)
            let y = x.maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding)
            XCTAssertEqual(y.scalars, directPool(x, kernel: c.kernel, stride: c.stride, padding: c.padding, max: true), "\(c)")
            XCTAssertEqual(y.shape[2], (c.shape[2] + 2 * c.padding - c.kernel) / c.stride + 1)
        }
    }

    func testAvgPoolMatchesDirectLoops() {
        for c in cases {
            let x = spread(c.shape)
            let y = x.avgPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding)
            let expected = directPool(x, kernel: c.kernel, stride: c.stride, padding: c.padding, max: false)
            for (a, e) in zip(y.scalars, expected) { XCTAssertEqual(a, e, accuracy: 1e-6, "\(c)") }
        }
    }

    func testPoolingGradients() {
        for c in cases {
            checkGradient(spread(c.shape)) { $0.maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding) }
            checkGradient(spread(c.shape)) { $0.avgPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding) }
        }
    }

    func testStrideDefaultsToKernel() {
        let x = spread([1, 1, 4, 4])
        XCTAssertEqual(x.maxPool2d(kernel: 2).scalars, x.maxPool2d(kernel: 2, stride: 2).scalars)
        XCTAssertEqual(x.avgPool2d(kernel: 2).shape, [1, 1, 2, 2])
    }

    func testMaxPoolSendsTiesToTheFirstElement() {
        let x = Tensor(shape: [1, 1, 2, 2], values: [3, 3, 3, 3]).requiringGradient()
        x.maxPool2d(kernel: 2).sum().backward()
        XCTAssertEqual(x.grad!.scalars, [1, 0, 0, 0])
        let y = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9]).requiringGradient()
        // Overlapping windows: each window sends its gradient to its own maximum (5, 6, 8, 9).
        y.maxPool2d(kernel: 2, stride: 1).sum().backward()
        XCTAssertEqual(y.grad!.scalars, [0, 0, 0, 0, 1, 1, 0, 1, 1])
    }
}
