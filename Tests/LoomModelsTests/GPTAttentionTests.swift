import XCTest
@testable import LoomModels
import LoomTensor

/// The fused causal attention op against its composition from plain ops, and against
/// finite differences.
final class GPTAttentionTests: XCTestCase {
    /// Attention built from slice, reshape, permute, matmul, masked softmax (the unfused reference).
    static func composedAttention(_ qkv: Tensor, heads: Int) -> Tensor {
        let (batch, length, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        let headSize = width / heads
        func split(_ part: Int) -> Tensor {  // (B, nh, T, hs)
            qkv.slice(axis: 2, (part * width)..<((part + 1) * width))
                .reshaped([batch, length, heads, headSize]).permuted([0, 2, 1, 3])
        }
        let (q, k, v) = (split(0), split(1), split(2))
        var maskValues = [Float](repeating: 0, count: length * length)
        for i in 0..<length { for j in (i + 1)..<max(i + 1, length) { maskValues[i * length + j] = -1e9 } }
        let scores = Tensor.matmul(q, k, transposeB: true) * (1 / Float(headSize).squareRoot())
            + Tensor(shape: [length, length], values: maskValues)
        let mixed = Tensor.matmul(scores.softmax(), v)  // (B, nh, T, hs)
        return mixed.permuted([0, 2, 1, 3]).reshaped([batch, length, width])
    }

    /// Head size 4 runs the portable kernels; head sizes 16 and 40 run the AVX2 ones (on CPUs
    /// that have it): 11 and 19 positions give whole blocks of eight keys and a tail, and head
    /// size 40 a block of 32 columns and a tail of 8.
    func testFusedMatchesComposedValuesAndGradients() {
        var rng = RandomGenerator(seed: 3)
        for (length, width) in [(5, 12), (11, 48), (19, 120)] {
            let input = Tensor.randomNormal([2, length, 3 * width], using: &rng)
            let upstream = Tensor.randomNormal([2, length, width], using: &rng)
            let fusedInput = input.copied().requiringGradient()
            let fused = fusedInput.causalSelfAttention(heads: 3)
            (fused * upstream).sum().backward()
            let composedInput = input.copied().requiringGradient()
            let composed = Self.composedAttention(composedInput, heads: 3)
            (composed * upstream).sum().backward()
            XCTAssertEqual(fused.shape, [2, length, width])
            assertClose(fused.scalars, composed.scalars, tolerance: 1e-5)
            assertClose(fusedInput.grad!.scalars, composedInput.grad!.scalars, tolerance: 1e-5)
        }
    }

    func testFiniteDifferences() {
        var rng = RandomGenerator(seed: 5)
        let input = Tensor.randomNormal([2, 4, 3 * 8], using: &rng)
        let report = checkGradients([input], epsilon: 1e-2, maxElementsPerInput: 96) { $0[0].causalSelfAttention(heads: 2) }
        XCTAssertLessThan(report.worstError, 2e-3, "\(report)")
    }

    func testFiniteDifferencesWithOddHeadSize() {
        var rng = RandomGenerator(seed: 6)
        let input = Tensor.randomNormal([1, 6, 3 * 22], using: &rng)  // head size 11: the SIMD tail runs
        let report = checkGradients([input], epsilon: 1e-2, maxElementsPerInput: 96) { $0[0].causalSelfAttention(heads: 2) }
        XCTAssertLessThan(report.worstError, 2e-3, "\(report)")
    }

    func testDropoutWithSameGeneratorIsRepeatableAndGradientsMatchDifferences() {
        var rng = RandomGenerator(seed: 8)
        let input = Tensor.randomNormal([1, 10, 3 * 16], using: &rng)  // head size 8
        var first = RandomGenerator(seed: 1), second = RandomGenerator(seed: 1)
        let a = input.causalSelfAttention(heads: 2, dropout: 0.3, using: &first)
        let b = input.causalSelfAttention(heads: 2, dropout: 0.3, using: &second)
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertNotEqual(a.scalars, input.causalSelfAttention(heads: 2).scalars)
        // The same mask on every evaluation, so finite differences see a fixed function.
        let report = checkGradients([input], epsilon: 1e-2, maxElementsPerInput: 120) { inputs in
            var fixed = RandomGenerator(seed: 4)
            return inputs[0].causalSelfAttention(heads: 2, dropout: 0.3, using: &fixed)
        }
        XCTAssertLessThan(report.worstError, 2e-3, "\(report)")
    }

    func testCachedKernelMatchesFusedOp() {
        var rng = RandomGenerator(seed: 9)
        for (length, width, heads) in [(7, 12, 3), (12, 24, 3)] {
            checkCachedKernel(length: length, width: width, heads: heads, using: &rng)
        }
    }

    /// Queries for the last four positions over a cache holding every position.
    private func checkCachedKernel(length: Int, width: Int, heads: Int, using rng: inout RandomGenerator) {
        let start = length - 4
        let qkv = Tensor.randomNormal([1, length, 3 * width], using: &rng)
        let expected = qkv.causalSelfAttention(heads: heads).scalars
        // Keys and values laid out as a cache (T, C).
        var keys = [Float](), values = [Float]()
        for t in 0..<length {
            keys += Array(qkv.scalars[(t * 3 * width + width)..<(t * 3 * width + 2 * width)])
            values += Array(qkv.scalars[(t * 3 * width + 2 * width)..<(t * 3 * width + 3 * width)])
        }
        var output = [Float](repeating: 0, count: 4 * width)
        qkv.scalars.withUnsafeBufferPointer { q in
            AttentionKernels.attendCached(
                queries: q.baseAddress! + start * 3 * width, queryStride: 3 * width, keys: keys, values: values,
                cacheStride: width, rows: 4, start: start, heads: heads, headSize: width / heads,
                output: &output, outputStride: width)
        }
        assertClose(output, Array(expected[(start * width)...]), tolerance: 1e-6)
    }
}

func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    var worst: Float = 0
    var place = 0
    for i in 0..<min(a.count, b.count) {
        let difference = abs(a[i] - b[i]) / max(1, abs(b[i]))
        if difference > worst { worst = difference; place = i }
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): largest difference \(worst) at \(place)", file: file, line: line)
}
