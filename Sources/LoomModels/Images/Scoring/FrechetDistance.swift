import Foundation

/// The mean and covariance of a set of feature vectors, in Double.
public struct GaussianStatistics: Equatable {
    public let dimension: Int
    public let count: Int
    public let mean: [Double]
    /// Row-major `dimension`×`dimension`, with the unbiased (n - 1) normalization.
    public let covariance: [Double]

    public init(mean: [Double], covariance: [Double], count: Int = 0) {
        precondition(covariance.count == mean.count * mean.count, "covariance must be \(mean.count)×\(mean.count)")
        self.dimension = mean.count
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    /// Statistics of `count` vectors of `dimension` floats stored one after another.
    public init(features: [Float], count: Int, dimension: Int) {
        precondition(count >= 2 && features.count == count * dimension, "statistics need two or more vectors of \(dimension) floats")
        var mean = [Double](repeating: 0, count: dimension)
        for n in 0..<count { for j in 0..<dimension { mean[j] += Double(features[n * dimension + j]) } }
        for j in 0..<dimension { mean[j] /= Double(count) }
        var covariance = [Double](repeating: 0, count: dimension * dimension)
        var centered = [Double](repeating: 0, count: dimension)
        for n in 0..<count {
            for j in 0..<dimension { centered[j] = Double(features[n * dimension + j]) - mean[j] }
            for i in 0..<dimension {
                let ci = centered[i]
                if ci == 0 { continue }
                for j in i..<dimension { covariance[i * dimension + j] += ci * centered[j] }
            }
        }
        for i in 0..<dimension {
            for j in i..<dimension {
                let value = covariance[i * dimension + j] / Double(count - 1)
                covariance[i * dimension + j] = value
                covariance[j * dimension + i] = value
            }
        }
        self.init(mean: mean, covariance: covariance, count: count)
    }
}

public enum FrechetDistance {
    /// The squared Fréchet (2-Wasserstein) distance between N(μa, Σa) and N(μb, Σb):
    /// |μa - μb|² + tr Σa + tr Σb - 2 tr (Σa Σb)^½. The last trace is taken as
    /// tr (Σa^½ Σb Σa^½)^½, which equals it and keeps every matrix symmetric.
    public static func between(_ a: GaussianStatistics, _ b: GaussianStatistics) -> Double {
        precondition(a.dimension == b.dimension, "statistics of \(a.dimension) and \(b.dimension) features")
        let n = a.dimension
        var meanTerm = 0.0
        for i in 0..<n { meanTerm += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]) }
        var traces = 0.0
        for i in 0..<n { traces += a.covariance[i * n + i] + b.covariance[i * n + i] }
        let rootA = SymmetricEigen.squareRoot(a.covariance, size: n)
        let product = multiply(multiply(rootA, b.covariance, n), rootA, n)
        // Symmetrize away the rounding of the two products before the eigen-solve.
        var symmetric = product
        for i in 0..<n { for j in 0..<n { symmetric[i * n + j] = 0.5 * (product[i * n + j] + product[j * n + i]) } }
        let values = SymmetricEigen.decompose(symmetric, size: n).values
        let crossTrace = values.reduce(0) { $0 + max($1, 0).squareRoot() }
        return meanTerm + traces - 2 * crossTrace
    }

    static func multiply(_ x: [Double], _ y: [Double], _ n: Int) -> [Double] {
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let xik = x[i * n + k]
                if xik == 0 { continue }
                for j in 0..<n { result[i * n + j] += xik * y[k * n + j] }
            }
        }
        return result
    }
}
