import CLoomKernels
import XCTest
@testable import LoomTensor

/// The per-(batch, head) attention kernels against plain loops in double precision: lengths
/// that fill whole tiles and panels and lengths that leave tails, head sizes that take the
/// blocked AVX2 bodies (8, 32, 64) and one that takes the portable ones (11), with and
/// without a dropout mask, storing and adding gradients.
final class AttentionKernelTests: XCTestCase {
    let heads = 2, head = 1  // the second head, so its columns start inside each row

    struct Reference {
        var probabilities: [Double], output: [Double], dq: [Double], dk: [Double], dv: [Double]
    }

    /// Causal attention of one head written out from its definition; rows of q, k, v and
    /// their gradients are `headSize` long here.
    func reference(q: [Double], k: [Double], v: [Double], mask: [Double]?, dout: [Double], length: Int,
                   headSize: Int) -> Reference {
        let scale = 1 / Double(headSize).squareRoot()
        func dot(_ a: [Double], _ i: Int, _ b: [Double], _ j: Int) -> Double {
            (0..<headSize).reduce(0) { $0 + a[i * headSize + $1] * b[j * headSize + $1] }
        }
        var p = [Double](repeating: 0, count: length * length), o = [Double](repeating: 0, count: length * headSize)
        var dq = o, dk = o, dv = o
        for t in 0..<length {
            let scores = (0...t).map { scale * dot(q, t, k, $0) }
            let top = scores.max()!, exps = scores.map { Foundation.exp($0 - top) }, total = exps.reduce(0, +)
            for j in 0...t { p[t * length + j] = exps[j] / total }
            let m = (0...t).map { mask?[t * length + $0] ?? 1 }
            for j in 0...t { for d in 0..<headSize { o[t * headSize + d] += p[t * length + j] * m[j] * v[j * headSize + d] } }
            let dp = (0...t).map { dot(dout, t, v, $0) * m[$0] }
            let weighted = (0...t).reduce(0) { $0 + p[t * length + $1] * dp[$1] }
            for j in 0...t {
                let ds = scale * p[t * length + j] * (dp[j] - weighted)
                for d in 0..<headSize {
                    dq[t * headSize + d] += ds * k[j * headSize + d]
                    dk[j * headSize + d] += ds * q[t * headSize + d]
                    dv[j * headSize + d] += p[t * length + j] * m[j] * dout[t * headSize + d]
                }
            }
        }
        return Reference(probabilities: p, output: o, dq: dq, dk: dk, dv: dv)
    }

    func assertClose(_ actual: Float, _ expected: Double, _ what: String, tolerance: Double = 2e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        let error = abs(Double(actual) - expected)
        if !(error <= tolerance * (1 + abs(expected))) {
            XCTFail("\(what): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    func check(length: Int, headSize: Int, masked: Bool, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        let width = heads * headSize, stride = 3 * width, column = head * headSize
        let what = "length \(length), head size \(headSize), mask \(masked)"
        let qkv = (0..<length * stride).map { _ in 2 * rng.nextFloat() - 1 }
        let dout = (0..<length * width).map { _ in 2 * rng.nextFloat() - 1 }
        let mask: [Float]? = masked ? (0..<length * length).map { _ in rng.nextFloat() < 0.25 ? 0 : 1 / 0.75 } : nil
        func part(_ source: [Float], _ offset: Int, _ rowStride: Int) -> [Double] {
            (0..<length * headSize).map { Double(source[($0 / headSize) * rowStride + offset + $0 % headSize]) }
        }
        let expected = reference(
            q: part(qkv, column, stride), k: part(qkv, width + column, stride), v: part(qkv, 2 * width + column, stride),
            mask: mask.map { $0.map(Double.init) }, dout: part(dout, column, width), length: length, headSize: headSize)

        // Guard floats past the scratch catch a kernel that needs more than it asks for.
        let guardCount = 64, sentinel: Float = 12345
        let scratchCount = max(loom_attention_head_forward_scratch_count(Int32(length), Int32(headSize)),
                               loom_attention_head_backward_scratch_count(Int32(length), Int32(headSize)))
        var scratch = [Float](repeating: .nan, count: scratchCount) + [Float](repeating: sentinel, count: guardCount)
        var probabilities = [Float](repeating: 7, count: length * length)
        var output = [Float](repeating: sentinel, count: length * width)
        let scale = 1 / Float(headSize).squareRoot()
        qkv.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { o in
                withOptionalPointer(mask) { m in
                    loom_attention_head_forward(x.baseAddress! + column, stride, Int32(length), Int32(headSize), scale,
                                                &probabilities, m, o.baseAddress! + column, width, &scratch)
                }
            }
        }
        for t in 0..<length {
            for j in 0..<length { assertClose(probabilities[t * length + j], expected.probabilities[t * length + j], "p \(what)") }
            for c in 0..<width {
                let value = output[t * width + c]
                if c < column || c >= column + headSize { XCTAssertEqual(value, sentinel, "other head's output \(what)"); continue }
                assertClose(value, expected.output[t * headSize + c - column], "output \(what)")
            }
        }
        XCTAssertEqual(Array(scratch.suffix(guardCount)), [Float](repeating: sentinel, count: guardCount), "scratch \(what)")

        for accumulate in [0, 1] {
            let initial = (0..<length * stride).map { _ in 2 * rng.nextFloat() - 1 }
            var gradient = initial
            for i in 0..<scratchCount { scratch[i] = .nan }
            qkv.withUnsafeBufferPointer { x in
                dout.withUnsafeBufferPointer { g in
                    gradient.withUnsafeMutableBufferPointer { dx in
                        withOptionalPointer(mask) { m in
                            loom_attention_head_backward(g.baseAddress! + column, width, x.baseAddress! + column, stride,
                                                         Int32(length), Int32(headSize), scale, probabilities, m,
                                                         dx.baseAddress! + column, &scratch, Int32(accumulate))
                        }
                    }
                }
            }
            for t in 0..<length {
                for c in 0..<stride {
                    let (part, d) = (c / width, c % width - column)
                    let value = gradient[t * stride + c], start = accumulate == 1 ? Double(initial[t * stride + c]) : 0
                    guard d >= 0 && d < headSize else {
                        XCTAssertEqual(value, initial[t * stride + c], "other head's gradient \(what)")
                        continue
                    }
                    let exact = [expected.dq, expected.dk, expected.dv][part][t * headSize + d]
                    assertClose(value, start + exact, "\(["dq", "dk", "dv"][part]) \(what) accumulate \(accumulate)")
                }
            }
            XCTAssertEqual(Array(scratch.suffix(guardCount)), [Float](repeating: sentinel, count: guardCount), "scratch \(what)")
        }
    }

    func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
        guard let values else { return body(nil) }
        return values.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    func testPairKernelsMatchTheDefinition() {
        var seed: UInt64 = 1
        for length in [1, 5, 8, 13, 64, 70] {
            for headSize in [8, 32, 64, 11] {
                for masked in [false, true] {
                    check(length: length, headSize: headSize, masked: masked, seed: seed)
                    seed += 1
                }
            }
        }
    }

    /// The row kernel that generation uses, for the last query of a sequence.
    func testRowKernelMatchesTheDefinition() {
        var rng = RandomGenerator(seed: 99)
        for (length, headSize) in [(13, 32), (70, 8), (9, 11)] {
            let stride = 3 * headSize
            let qkv = (0..<length * stride).map { _ in 2 * rng.nextFloat() - 1 }
            func part(_ offset: Int) -> [Double] {
                (0..<length * headSize).map { Double(qkv[($0 / headSize) * stride + offset + $0 % headSize]) }
            }
            let expected = reference(q: part(0), k: part(headSize), v: part(2 * headSize), mask: nil,
                                     dout: [Double](repeating: 0, count: length * headSize), length: length, headSize: headSize)
            var probabilities = [Float](repeating: 0, count: length), output = [Float](repeating: 0, count: headSize)
            qkv.withUnsafeBufferPointer { x in
                let last = x.baseAddress! + (length - 1) * stride
                loom_attend_row(last, x.baseAddress! + headSize, x.baseAddress! + 2 * headSize, stride, Int32(length),
                                Int32(headSize), 1 / Float(headSize).squareRoot(), &probabilities, nil, &output)
            }
            let t = length - 1
            for j in 0..<length { assertClose(probabilities[j], expected.probabilities[t * length + j], "row p \(length)") }
            for d in 0..<headSize { assertClose(output[d], expected.output[t * headSize + d], "row output \(length)") }
        }
    }
}
