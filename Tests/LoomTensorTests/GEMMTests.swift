import XCTest
@testable import LoomTensor

/// `sgemm` against a double-precision loop, over shapes that take each of its paths: one
/// OpenBLAS call, OpenBLAS split by rows or by columns across threads, and the packed
/// kernel alone or split by rows. Odd sizes put rows and columns past the last whole block.
final class GEMMTests: XCTestCase {
    func testEveryPathMatchesDoubleLoop() {
        var rng = RandomGenerator(seed: 11)
        let shapes = [
            (5, 7, 3),  // small: one call on this thread
            (97, 130, 90),  // split by rows: 97 rows leave one past two blocks of 48
            (161, 129, 257),  // partial panels and row tiles
            (31, 1057, 40),  // few rows: OpenBLAS split by columns, one column past two blocks of 528
            (1025, 40, 41),  // one row past two blocks of 512
        ]
        for (m, n, k) in shapes {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    for beta: Float in [0, 1] {
                        check(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, beta: beta, using: &rng)
                    }
                }
            }
        }
    }

    /// A product with more depth than the packed kernel takes, and one with alpha ≠ 1, go to
    /// OpenBLAS and still give the same values.
    func testLargeDepthAndAlpha() {
        var rng = RandomGenerator(seed: 12)
        check(m: 100, n: 20, k: 1100, transposeA: false, transposeB: true, beta: 1, using: &rng)
        check(m: 120, n: 30, k: 50, transposeA: false, transposeB: false, beta: 0.5, alpha: 2, using: &rng)
    }

    private func check(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, beta: Float, alpha: Float = 1,
                       using rng: inout RandomGenerator) {
        let a = Tensor.randomNormal([m * k], using: &rng).scalars  // (m, k), or (k, m) when transposed
        let b = Tensor.randomNormal([k * n], using: &rng).scalars  // (k, n), or (n, k) when transposed
        let c0 = Tensor.randomNormal([m * n], using: &rng).scalars
        var c = c0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                          a: a.baseAddress!, b: b.baseAddress!, beta: beta, c: c.baseAddress!)
                }
            }
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for kk in 0..<k {
                    let x = transposeA ? a[kk * m + i] : a[i * k + kk]
                    let y = transposeB ? b[j * k + kk] : b[kk * n + j]
                    sum += Double(x) * Double(y)
                }
                let expected = Double(alpha) * sum + Double(beta) * Double(c0[i * n + j])
                worst = max(worst, abs(Double(c[i * n + j]) - expected))
            }
        }
        XCTAssertLessThan(worst, 1e-3, "m \(m) n \(n) k \(k) transposeA \(transposeA) transposeB \(transposeB) beta \(beta)")
    }
}
