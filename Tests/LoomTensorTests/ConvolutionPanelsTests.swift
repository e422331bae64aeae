import CLoomKernels
import XCTest
@testable import LoomTensor

/// The panel path of conv2d (ConvolutionPanels.swift): its im2col against a direct loop,
/// and its outputs and gradients against the batched BLAS path, over strides, paddings,
/// 1×1 kernels, planes that end inside a panel, and channel counts that leave partial
/// 6-row tiles and 16-column panels.
final class ConvolutionPanelsTests: XCTestCase {
    var rng = RandomGenerator(seed: 23)

    func random(_ shape: [Int]) -> Tensor { Tensor.randomUniform(shape, low: -1, high: 1, using: &rng) }

    /// (input [N, C, H, W], weight [O, C, kH, kW], stride, padding); each passes the
    /// panel path's gate.
    let cases: [(input: [Int], weight: [Int], stride: Int, padding: Int)] = [
        ([5, 3, 12, 12], [17, 3, 3, 3], 1, 1),   // 144 positions: nine whole panels
        ([4, 3, 11, 11], [5, 3, 3, 3], 1, 1),    // 121 positions: the last panel holds 9
        ([3, 4, 22, 22], [7, 4, 3, 3], 2, 1),    // stride 2, 11×11 out
        ([2, 20, 10, 10], [33, 20, 1, 1], 1, 0), // 1×1 kernel, 100 positions
        ([3, 2, 15, 15], [6, 2, 5, 5], 1, 2),    // 5×5 kernel
        ([6, 8, 7, 7], [12, 8, 3, 3], 1, 1),     // 49 positions: blocks of several images
        ([5, 3, 10, 10], [4, 3, 3, 3], 2, 1),    // stride 2, 5×5 out, several images
    ]

    func testCasesTakeThePanelPath() {
        for c in cases {
            let g = ConvolutionGeometry(channels: c.input[1], height: c.input[2], width: c.input[3],
                                        kernelHeight: c.weight[2], kernelWidth: c.weight[3], stride: c.stride, padding: c.padding)
            XCTAssertTrue(PanelConvolution.applies(g, batch: c.input[0]) || !PackedProduct.available, "\(c)")
        }
        let sevenBySeven = ConvolutionGeometry(channels: 64, height: 7, width: 7, kernelHeight: 3, kernelWidth: 3,
                                               stride: 1, padding: 1)
        XCTAssertFalse(PanelConvolution.imageBlocks(sevenBySeven), "49 positions fill 64 columns")
    }

    /// panels[q][row][j] = direct column (row, q·16 + j) of images side by side, zero past the
    /// last image, for all panels at once and for runs of panels that start inside the plane.
    func testPanelsMatchDirectColumns() {
        for c in cases {
            let (channels, height, width) = (c.input[1], c.input[2], c.input[3])
            let g = ConvolutionGeometry(channels: channels, height: height, width: width, kernelHeight: c.weight[2],
                                        kernelWidth: c.weight[3], stride: c.stride, padding: c.padding)
            let plane = g.outputPlane, rows = g.columnRows
            for images in [1, 3] {
                let image = random([images, channels, height, width]).scalars
                let count = (images * plane + 15) / 16
                for (first, end) in [(0, count), (1, count), (1, Swift.min(3, count))] where first < end {
                    var phases = [Float](repeating: .nan, count: images * channels * g.phaseFloats + 16)
                    var panels = [Float](repeating: .nan, count: (end - first) * rows * 16 + 16)
                    withUnsafePointer(to: g.kernelGeometry) { geometry in
                        loom_fill_image_phases(geometry, image, Int32(images * channels), &phases)
                        loom_panels_from_phases(geometry, phases, Int32(channels), Int32(images), Int32(first), Int32(end), &panels)
                    }
                    var worst: Float = 0
                    for ci in 0..<channels { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
                        let row = (ci * g.kernelHeight + ki) * g.kernelWidth + kj
                        for column in (first * 16)..<(end * 16) {  // the 16 floats of room are not checked
                            var expected: Float = 0
                            if column < images * plane {
                                let n = column / plane, position = column % plane
                                let ih = position / g.outputWidth * g.stride + ki - g.padding
                                let iw = position % g.outputWidth * g.stride + kj - g.padding
                                if ih >= 0 && ih < height && iw >= 0 && iw < width {
                                    expected = image[((n * channels + ci) * height + ih) * width + iw]
                                }
                            }
                            let value = panels[((column / 16 - first) * rows + row) * 16 + column % 16]
                            worst = value.isNaN ? .infinity : Swift.max(worst, Swift.abs(value - expected))
                        }
                    }}}
                    XCTAssertEqual(worst, 0, "\(c), \(images) images, panels \(first)..<\(end)")
                }
            }
        }
    }

    /// Output, input, weight and bias gradients of both paths for the same inputs and seed.
    func testPanelPathMatchesTheBLASPath() {
        for c in cases {
            let x = random(c.input), w = random(c.weight), b = random([c.weight[0]])
            func run() -> [[Float]] {
                let (xl, wl, bl) = (x.copied().requiringGradient(), w.copied().requiringGradient(), b.copied().requiringGradient())
                let y = Tensor.conv2d(xl, weight: wl, bias: bl, stride: c.stride, padding: c.padding)
                y.backward(seed: Tensor.randomUniform(y.shape, low: -1, high: 1, using: &rng))
                return [y.scalars, xl.grad!.scalars, wl.grad!.scalars, bl.grad!.scalars]
            }
            let seedState = rng
            let shifted = run()
            if c.stride == 1 && c.weight[3] < 5 {
                XCTAssertTrue(ShiftedConvolution.applies(ConvolutionGeometry(
                    channels: c.input[1], height: c.input[2], width: c.input[3], kernelHeight: c.weight[2],
                    kernelWidth: c.weight[3], stride: 1, padding: c.padding), batch: c.input[0]) || c.input[2] < 10
                    || !PackedProduct.available, "\(c)")
            }
            ShiftedConvolution.enabled = false
            defer { ShiftedConvolution.enabled = true }
            rng = seedState
            let panels = run()
            // One panel per group: im2col and the products run panel by panel.
            let savedGroup = PanelConvolution.groupFloats
            PanelConvolution.groupFloats = 1
            rng = seedState
            let grouped = run()
            PanelConvolution.groupFloats = savedGroup
            // Outputs and input gradients are the same sums; the weight gradient adds its
            // group sums one by one, so it agrees to rounding.
            for index in [0, 1, 3] { XCTAssertEqual(grouped[index], panels[index], "groups of one panel, \(c)") }
            let scale = panels[2].map { Swift.abs($0) }.max() ?? 1
            XCTAssertLessThan(zip(grouped[2], panels[2]).map { Swift.abs($0 - $1) }.max() ?? 0, 1e-5 * Swift.max(1, scale))
            rng = seedState
            PanelConvolution.enabled = false
            defer { PanelConvolution.enabled = true }
            let blas = run()
            PanelConvolution.enabled = true
            ShiftedConvolution.enabled = true
            for (path, result) in [("panels", panels), ("shifted planes", shifted)] {
                for (name, (a, e)) in zip(["output", "input gradient", "weight gradient", "bias gradient"], zip(result, blas)) {
                    XCTAssertEqual(a.count, e.count)
                    let scale = e.map { Swift.abs($0) }.max() ?? 1
                    let worst = zip(a, e).map { Swift.abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(worst, 1e-5 * Swift.max(1, scale), "\(name) of \(c) on \(path)")
                }
            }
        }
    }

    func testPanelPathGradientsMatchFiniteDifferences() {
        for c in cases.prefix(3) + cases.suffix(1) {
            let report = checkGradients([random(c.input), random(c.weight), random([c.weight[0]])], maxElementsPerInput: 48) {
                Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: c.stride, padding: c.padding)
            }
            XCTAssertLessThan(report.worstError, 2e-3, report.description)
        }
    }
}
