import XCTest
@testable import LoomTensor

/// Convolution and transposed convolution: values against direct loops, gradients against
/// finite differences, over several strides, paddings and kernel shapes.
final class ConvolutionTests: XCTestCase {
    var rng = RandomGenerator(seed: 11)

    func random(_ shape: [Int]) -> Tensor { Tensor.randomUniform(shape, low: -1, high: 1, using: &rng) }

    func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "element count", file: file, line: line)
        var worst: Float = 0
        for (x, y) in zip(a, b) {
            let difference = Swift.abs(x - y) / Swift.max(1, Swift.abs(y))
            worst = difference.isNaN ? .infinity : Swift.max(worst, difference)
        }
        XCTAssertLessThan(worst, tolerance, "largest relative difference", file: file, line: line)
    }

    func checkGradient(_ shapes: [[Int]], tolerance: Double = 2e-3, file: StaticString = #filePath, line: UInt = #line,
                       _ f: @escaping ([Tensor]) -> Tensor) {
        let report = checkGradients(shapes.map { random($0) }, maxElementsPerInput: 64, f)
        XCTAssertLessThan(report.worstError, tolerance, report.description, file: file, line: line)
        XCTAssertGreaterThan(report.checkedElements, 0, file: file, line: line)
    }

    /// Direct seven-loop convolution, the reference for values.
    func directConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int) -> (shape: [Int], values: [Float]) {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * padding - kw) / stride + 1
        var out = [Float](repeating: 0, count: n * cout * oh * ow)
        let xs = x.scalars, ws = w.scalars, bs = b?.scalars
        for i in 0..<n { for o in 0..<cout { for r in 0..<oh { for c in 0..<ow {
            var total = bs?[o] ?? 0
            for ci in 0..<cin { for p in 0..<kh { for q in 0..<kw {
                let ih = r * stride - padding + p, iw = c * stride - padding + q
                if ih < 0 || ih >= h || iw < 0 || iw >= wd { continue }
                total += xs[((i * cin + ci) * h + ih) * wd + iw] * ws[((o * cin + ci) * kh + p) * kw + q]
            }}}
            out[((i * cout + o) * oh + r) * ow + c] = total
        }}}}
        return ([n, cout, oh, ow], out)
    }

    /// Direct scatter form of the transposed convolution.
    func directConvTranspose2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int, outputPadding: Int)
        -> (shape: [Int], values: [Float]) {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let oh = (h - 1) * stride - 2 * padding + kh + outputPadding
        let ow = (wd - 1) * stride - 2 * padding + kw + outputPadding
        var out = [Float](repeating: 0, count: n * cout * oh * ow)
        let xs = x.scalars, ws = w.scalars
        for i in 0..<n { for o in 0..<cout { for k in 0..<(oh * ow) { out[(i * cout + o) * oh * ow + k] = b?.scalars[o] ?? 0 } } }
        for i in 0..<n { for ci in 0..<cin { for r in 0..<h { for c in 0..<wd {
            let v = xs[((i * cin + ci) * h + r) * wd + c]
            for o in 0..<cout { for p in 0..<kh { for q in 0..<kw {
                let y = r * stride - padding + p, z = c * stride - padding + q
                if y < 0 || y >= oh || z < 0 || z >= ow { continue }
                out[((i * cout + o) * oh + y) * ow + z] += v * ws[((ci * cout + o) * kh + p) * kw + q]
            }}}
        }}}}
        return ([n, cout, oh, ow], out)
    }

    let convolutionCases: [(input: [Int], weight: [Int], stride: Int, padding: Int)] = [
        ([2, 3, 7, 6], [4, 3, 3, 3], 2, 1),
        ([2, 2, 5, 5], [3, 2, 3, 3], 1, 1),
        ([1, 2, 6, 5], [2, 2, 3, 2], 1, 0),
        ([3, 1, 8, 8], [2, 1, 5, 5], 3, 2),
        ([2, 4, 4, 4], [3, 4, 1, 1], 1, 0),
        ([2, 2, 5, 7], [2, 2, 4, 4], 2, 3),
    ]

    /// Runs `body` with every convolution on the GEMM path, then with every one on the
    /// few-taps path.
    func forBothPaths(_ body: () -> Void) {
        let saved = ConvolutionGeometry.fewTapsLimit
        defer { ConvolutionGeometry.fewTapsLimit = saved }
        for limit in [0, 1 << 20] {
            ConvolutionGeometry.fewTapsLimit = limit
            body()
        }
    }

    func testConv2dMatchesDirectLoops() { forBothPaths(conv2dMatchesDirectLoops) }

    /// The few-taps kernels at the default limit: 16 taps (all in registers) over planes of
    /// 12 and 196 positions, so both the eight-position blocks and the scalar tail run.
    func testFewTapsKernelsMatchDirectLoops() {
        for (input, weight) in [([2, 1, 9, 7], [5, 1, 4, 4]), ([3, 1, 28, 28], [8, 1, 4, 4])] {
            let x = random(input), w = random(weight), b = random([weight[0]])
            let y = Tensor.conv2d(x, weight: w, bias: b, stride: 2, padding: 1)
            assertClose(y.scalars, directConv2d(x, w, b, stride: 2, padding: 1).values)
        }
        checkGradient([[2, 1, 9, 7], [5, 1, 4, 4], [5]]) {
            Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        }
    }

    func conv2dMatchesDirectLoops() {
        for c in convolutionCases {
            let x = random(c.input), w = random(c.weight), b = random([c.weight[0]])
            let expected = directConv2d(x, w, b, stride: c.stride, padding: c.padding)
            let y = Tensor.conv2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding)
            XCTAssertEqual(y.shape, expected.shape)
            assertClose(y.scalars, expected.values)
            let plain = Tensor.conv2d(x, weight: w, bias: nil, stride: c.stride, padding: c.padding)
            assertClose(plain.scalars, directConv2d(x, w, nil, stride: c.stride, padding: c.padding).values)
        }
    }

    func testConv2dGradients() { forBothPaths(conv2dGradients) }

    func conv2dGradients() {
        for c in convolutionCases {
            checkGradient([c.input, c.weight, [c.weight[0]]]) {
                Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding)
            }
        }
        checkGradient([[2, 3, 5, 5], [2, 3, 3, 3]]) { Tensor.conv2d($0[0], weight: $0[1], bias: nil, padding: 1) }
    }

    func testChunkedBatchGivesTheSameValuesAndGradients() {
        let x = random([5, 3, 6, 6]), w = random([4, 3, 3, 3]), b = random([4]), seed = random([5, 4, 6, 6])
        func run() -> [[Float]] {
            let (xl, wl, bl) = (x.copied().requiringGradient(), w.copied().requiringGradient(), b.copied().requiringGradient())
            let y = Tensor.conv2d(xl, weight: wl, bias: bl, stride: 1, padding: 1)
            y.backward(seed: seed)
            return [y.scalars, xl.grad!.scalars, wl.grad!.scalars, bl.grad!.scalars]
        }
        let whole = run()
        let savedTaps = ConvolutionGeometry.fewTapsLimit
        defer { ConvolutionGeometry.fewTapsLimit = savedTaps }
        ConvolutionGeometry.fewTapsLimit = 1 << 20
        for (a, e) in zip(run(), whole) { assertClose(a, e) }
        ConvolutionGeometry.fewTapsLimit = savedTaps
        let saved = ConvolutionGeometry.maximumColumnFloats
        // Two images per chunk: chunks of 2, 2 and a last one of 1.
        ConvolutionGeometry.maximumColumnFloats = 2 * 27 * 36
        defer { ConvolutionGeometry.maximumColumnFloats = saved }
        let chunked = run()
        XCTAssertEqual(ConvolutionGeometry(channels: 3, height: 6, width: 6, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
            .imagesPerChunk(batch: 5), 2)
        for (a, e) in zip(chunked, whole) { assertClose(a, e) }
        ConvolutionGeometry.maximumColumnFloats = 27 * 36
        for (a, e) in zip(run(), whole) { assertClose(a, e) }
    }

    func testInputGradientIsSkippedWhenInputIsConstant() {
        let x = random([2, 1, 5, 5]), w = random([3, 1, 3, 3]).requiringGradient()
        let y = Tensor.conv2d(x, weight: w, bias: nil, padding: 1)
        y.sum().backward()
        XCTAssertNil(x.grad)
        XCTAssertNotNil(w.grad)
        // The weight gradient of a sum is each tap's sum over the (zero-padded) input.
        let xs = x.scalars
        var tapCenter: Float = 0
        for v in xs { tapCenter += v }
        XCTAssertEqual(w.grad!.scalars[4], tapCenter, accuracy: 1e-4)
    }

    func testFrozenWeightStillGivesTheInputGradient() {
        let x = random([3, 2, 6, 6]), w = random([4, 2, 3, 3]), seed = random([3, 4, 3, 3])
        let tracked = (x.copied().requiringGradient(), w.copied().requiringGradient())
        Tensor.conv2d(tracked.0, weight: tracked.1, bias: nil, stride: 2, padding: 1).backward(seed: seed)
        let input = x.copied().requiringGradient()
        Tensor.conv2d(input, weight: w, bias: nil, stride: 2, padding: 1).backward(seed: seed)
        XCTAssertNil(w.grad)
        assertClose(input.grad!.scalars, tracked.0.grad!.scalars)
    }

    let transposeCases: [(input: [Int], weight: [Int], stride: Int, padding: Int, outputPadding: Int)] = [
        ([2, 4, 4, 5], [4, 3, 4, 4], 2, 1, 0),
        ([2, 4, 4, 5], [4, 3, 3, 3], 1, 1, 0),
        ([1, 2, 3, 3], [2, 2, 3, 3], 2, 1, 1),
        ([2, 3, 3, 2], [3, 1, 2, 3], 3, 0, 2),
    ]

    func testConvTranspose2dMatchesDirectLoops() {
        for c in transposeCases {
            let x = random(c.input), w = random(c.weight), b = random([c.weight[1]])
            let expected = directConvTranspose2d(x, w, b, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding)
            let y = Tensor.convTranspose2d(x, weight: w, bias: b, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding)
            XCTAssertEqual(y.shape, expected.shape)
            assertClose(y.scalars, expected.values)
        }
    }

    func testConvTranspose2dGradients() {
        for c in transposeCases {
            checkGradient([c.input, c.weight, [c.weight[1]]]) {
                Tensor.convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding,
                                       outputPadding: c.outputPadding)
            }
        }
    }

    func testConvTransposeIsTheAdjointOfConvolution() {
        // <conv(x), y> == <x, convTranspose(y)> with the same weight.
        let x = random([2, 3, 7, 7]), w = random([5, 3, 3, 3])
        let y = Tensor.conv2d(x, weight: w, bias: nil, stride: 2, padding: 1)
        let r = random(y.shape)
        let back = Tensor.convTranspose2d(r, weight: w, bias: nil, stride: 2, padding: 1)
        XCTAssertEqual(back.shape, x.shape)
        var left: Double = 0, right: Double = 0
        for (a, b) in zip(y.scalars, r.scalars) { left += Double(a * b) }
        for (a, b) in zip(x.scalars, back.scalars) { right += Double(a * b) }
        XCTAssertEqual(left, right, accuracy: 1e-4 * Swift.max(1, Swift.abs(left)))
    }
}
