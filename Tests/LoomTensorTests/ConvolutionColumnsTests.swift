import XCTest
@testable import LoomTensor

/// The im2col / col2im kernels against a direct loop over every (tap, image, output
/// position), and col2im as the adjoint of im2col, over strides 1 to 3, paddings 0 to 2,
/// kernels 1 to 4 and odd image sizes.
final class ConvolutionColumnsTests: XCTestCase {
    struct Case {
        var channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int, images: Int
    }

    /// Every combination whose kernel fits the padded image, plus a few large enough for
    /// the work to be split between threads.
    var cases: [Case] {
        var all: [Case] = []
        for stride in 1...3 {
            for padding in 0...2 {
                for kernel in [1, 2, 3, 4] {
                    for (height, width) in [(5, 7), (7, 7), (9, 6), (14, 14), (1, 3)]
                    where height + 2 * padding >= kernel && width + 2 * padding >= kernel {
                        all.append(Case(channels: 2, height: height, width: width, kernel: kernel, stride: stride,
                                        padding: padding, images: 3))
                    }
                }
            }
        }
        all.append(Case(channels: 32, height: 14, width: 14, kernel: 4, stride: 2, padding: 1, images: 5))
        all.append(Case(channels: 16, height: 28, width: 28, kernel: 3, stride: 1, padding: 1, images: 4))
        all.append(Case(channels: 8, height: 29, width: 27, kernel: 3, stride: 2, padding: 1, images: 3))
        return all
    }

    func geometry(_ c: Case) -> ConvolutionGeometry {
        ConvolutionGeometry(channels: c.channels, height: c.height, width: c.width, kernelHeight: c.kernel,
                            kernelWidth: c.kernel, stride: c.stride, padding: c.padding)
    }

    func randomValues(_ count: Int, using rng: inout RandomGenerator) -> [Float] {
        (0..<count).map { _ in rng.nextFloat() * 2 - 1 }
    }

    /// columns[(row, n), oh, ow] = image[n, c, oh·s + ki - p, ow·s + kj - p], zero outside.
    func directColumns(_ image: [Float], _ g: ConvolutionGeometry, images: Int) -> [Float] {
        var columns = [Float](repeating: 0, count: g.columnRows * images * g.outputPlane)
        for c in 0..<g.channels { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
            let row = (c * g.kernelHeight + ki) * g.kernelWidth + kj
            for n in 0..<images { for oh in 0..<g.outputHeight { for ow in 0..<g.outputWidth {
                let ih = oh * g.stride + ki - g.padding, iw = ow * g.stride + kj - g.padding
                guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { continue }
                columns[((row * images + n) * g.outputHeight + oh) * g.outputWidth + ow] =
                    image[((n * g.channels + c) * g.height + ih) * g.width + iw]
            }}}
        }}}
        return columns
    }

    func im2col(_ image: [Float], _ g: ConvolutionGeometry, images: Int) -> [Float] {
        // NaN first, so a position the kernel never writes fails the comparison.
        var columns = [Float](repeating: .nan, count: g.columnRows * images * g.outputPlane)
        image.withUnsafeBufferPointer { source in
            columns.withUnsafeMutableBufferPointer { g.im2col(source.baseAddress!, images: images, into: $0.baseAddress!) }
        }
        return columns
    }

    func col2im(_ columns: [Float], _ g: ConvolutionGeometry, images: Int, onto start: [Float]) -> [Float] {
        var image = start
        columns.withUnsafeBufferPointer { source in
            image.withUnsafeMutableBufferPointer {
                g.col2imAdding(source.baseAddress!, images: images, into: $0.baseAddress!)
            }
        }
        return image
    }

    func testIm2colMatchesDirectLoops() {
        var rng = RandomGenerator(seed: 5)
        for c in cases {
            let g = geometry(c)
            let image = randomValues(c.images * g.imageSize, using: &rng)
            let expected = directColumns(image, g, images: c.images)
            let columns = im2col(image, g, images: c.images)
            let mismatches = zip(columns, expected).filter { !($0 == $1) }.count
            XCTAssertEqual(mismatches, 0, "im2col \(c)")
        }
    }

    /// ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩, and col2im adds onto what the image held.
    func testCol2imIsTheAdjointOfIm2col() {
        var rng = RandomGenerator(seed: 6)
        for c in cases {
            let g = geometry(c)
            let x = randomValues(c.images * g.imageSize, using: &rng)
            let y = randomValues(g.columnRows * c.images * g.outputPlane, using: &rng)
            let start = randomValues(x.count, using: &rng)
            let added = col2im(y, g, images: c.images, onto: start)
            let columns = directColumns(x, g, images: c.images)
            var left = 0.0, right = 0.0
            for (a, b) in zip(columns, y) { left += Double(a) * Double(b) }
            for i in 0..<x.count { right += Double(x[i]) * (Double(added[i]) - Double(start[i])) }
            XCTAssertEqual(left, right, accuracy: 1e-4 * Swift.max(1, Swift.abs(left)), "adjoint \(c)")
        }
    }

    /// col2im against the direct scatter, value by value.
    func testCol2imMatchesDirectScatter() {
        var rng = RandomGenerator(seed: 7)
        for c in cases {
            let g = geometry(c)
            let y = randomValues(g.columnRows * c.images * g.outputPlane, using: &rng)
            let start = randomValues(c.images * g.imageSize, using: &rng)
            var expected = start.map(Double.init)
            for ch in 0..<g.channels { for ki in 0..<g.kernelHeight { for kj in 0..<g.kernelWidth {
                let row = (ch * g.kernelHeight + ki) * g.kernelWidth + kj
                for n in 0..<c.images { for oh in 0..<g.outputHeight { for ow in 0..<g.outputWidth {
                    let ih = oh * g.stride + ki - g.padding, iw = ow * g.stride + kj - g.padding
                    guard ih >= 0 && ih < g.height && iw >= 0 && iw < g.width else { continue }
                    expected[((n * g.channels + ch) * g.height + ih) * g.width + iw] +=
                        Double(y[((row * c.images + n) * g.outputHeight + oh) * g.outputWidth + ow])
                }}}
            }}}
            let added = col2im(y, g, images: c.images, onto: start)
            var worst = 0.0
            for (a, b) in zip(added, expected) { worst = Swift.max(worst, Swift.abs(Double(a) - b)) }
            XCTAssertLessThan(worst, 1e-5, "col2im \(c)")
        }
    }
}
