import XCTest
@testable import LoomTensor

/// upsampledConv2d against conv2d of the nearest-upsampled image: outputs and the input,
/// weight and bias gradients, on the four-phase path and on the fallback.
final class ConvolutionUpsampledTests: XCTestCase {
    var rng = RandomGenerator(seed: 29)

    func random(_ shape: [Int]) -> Tensor { Tensor.randomUniform(shape, low: -1, high: 1, using: &rng) }

    func compare(input: [Int], outChannels: Int, file: StaticString = #filePath, line: UInt = #line) {
        let x = random(input), w = random([outChannels, input[1], 3, 3]), b = random([outChannels])
        let seed = random([input[0], outChannels, 2 * input[2], 2 * input[3]])
        func run(_ f: (Tensor, Tensor, Tensor) -> Tensor) -> [[Float]] {
            let (xl, wl, bl) = (x.copied().requiringGradient(), w.copied().requiringGradient(), b.copied().requiringGradient())
            let y = f(xl, wl, bl)
            y.backward(seed: seed)
            return [y.scalars, xl.grad!.scalars, wl.grad!.scalars, bl.grad!.scalars]
        }
        let fused = run { Tensor.upsampledConv2d($0, weight: $1, bias: $2) }
        let plain = run { Tensor.conv2d($0.upsampleNearest2d(factor: 2), weight: $1, bias: $2, padding: 1) }
        for (name, (a, e)) in zip(["output", "input gradient", "weight gradient", "bias gradient"], zip(fused, plain)) {
            XCTAssertEqual(a.count, e.count, name, file: file, line: line)
            let scale = e.map { Swift.abs($0) }.max() ?? 1
            let worst = zip(a, e).map { Swift.abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 2e-5 * Swift.max(1, scale), "\(name) of \(input) → \(outChannels)", file: file, line: line)
        }
    }

    func testFourPhasesMatchTheUpsampledConvolution() {
        let geometry = ConvolutionGeometry(channels: 5, height: 6, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        XCTAssertTrue(UpsampledConvolution.applies(geometry, batch: 9) || !PackedProduct.available)
        compare(input: [9, 5, 6, 7], outChannels: 17)   // nine images: parts of uneven size
        compare(input: [4, 20, 7, 7], outChannels: 6)   // 80 rows of four taps: partial tiles
        compare(input: [2, 3, 1, 1], outChannels: 2)    // a one-pixel image
    }

    func testFallbackForOneImage() {
        compare(input: [1, 3, 4, 5], outChannels: 4)
    }
}
