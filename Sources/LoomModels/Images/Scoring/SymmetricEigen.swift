import Foundation

/// Eigendecomposition of real symmetric matrices in Double by the cyclic Jacobi method:
/// plane rotations zero each off-diagonal entry in turn until the off-diagonal part is
/// negligible. Slower than Householder-QR but short, and accurate for the 128-wide
/// covariances the judge-FID needs.
public enum SymmetricEigen {
    /// Eigenvalues and eigenvectors of the symmetric `size`×`size` row-major `matrix`.
    /// `vectors` is row-major with eigenvector i in column i, in the order of `values`.
    public static func decompose(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n, "a \(n)×\(n) matrix needs \(n * n) entries, got \(matrix.count)")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = max(a.reduce(0) { $0 + $1 * $1 }.squareRoot(), Double.leastNormalMagnitude)
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off.squareRoot() <= 1e-15 * scale { break }
            for p in 0..<max(n - 1, 0) {
                for q in (p + 1)..<n {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {  // columns p and q: A·P
                        let kp = a[k * n + p], kq = a[k * n + q]
                        a[k * n + p] = c * kp - s * kq
                        a[k * n + q] = s * kp + c * kq
                    }
                    for k in 0..<n {  // rows p and q: Pᵀ·(A·P)
                        let pk = a[p * n + k], qk = a[q * n + k]
                        a[p * n + k] = c * pk - s * qk
                        a[q * n + k] = s * pk + c * qk
                    }
                    for k in 0..<n {
                        let kp = v[k * n + p], kq = v[k * n + q]
                        v[k * n + p] = c * kp - s * kq
                        v[k * n + q] = s * kp + c * kq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }

    /// The symmetric square root of a symmetric positive semi-definite matrix. Eigenvalues
    /// below zero, which rounding can leave where the matrix is singular, count as zero.
    public static func squareRoot(_ matrix: [Double], size n: Int) -> [Double] {
        let (values, vectors) = decompose(matrix, size: n)
        let roots = values.map { max($0, 0).squareRoot() }
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * roots[k] * vectors[j * n + k] }
                result[i * n + j] = sum
                result[j * n + i] = sum
            }
        }
        return result
    }
}
