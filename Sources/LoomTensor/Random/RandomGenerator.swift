import Foundation

/// The one seeded generator every random choice takes explicitly (xoshiro256**, seeded
/// through SplitMix64). Its whole state is four words, saved with checkpoints so that a
/// resumed run draws exactly what an uninterrupted run would have drawn.
public struct RandomGenerator: RandomNumberGenerator, Equatable, Codable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The four state words, for saving and restoring.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    public init(seed: UInt64) {
        var x = seed
        var words: [UInt64] = []
        for _ in 0..<4 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words.append(z ^ (z >> 31))
        }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
    }

    public init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "invalid generator state")
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A uniform integer in 0..<bound.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next(upperBound: UInt64(bound)))
    }

    /// A standard normal draw (Box–Muller; the second value is discarded so that the
    /// stream position does not depend on hidden state).
    public mutating func nextNormal() -> Float {
        let u1 = Swift.max(nextDouble(), 1e-300)
        let u2 = nextDouble()
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// Fills `count` floats with normal draws of the given mean and standard deviation,
    /// two per Box–Muller pair.
    public mutating func fillNormal(_ pointer: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, std: Float = 1) {
        var i = 0
        while i < count {
            let u1 = Swift.max(nextDouble(), 1e-300)
            let u2 = nextDouble()
            let r = (-2 * Foundation.log(u1)).squareRoot()
            let angle = 2 * Double.pi * u2
            pointer[i] = mean + std * Float(r * Foundation.cos(angle))
            if i + 1 < count { pointer[i + 1] = mean + std * Float(r * Foundation.sin(angle)) }
            i += 2
        }
    }

    /// Fills `count` floats uniformly in [low, high).
    public mutating func fillUniform(_ pointer: UnsafeMutablePointer<Float>, count: Int, low: Float, high: Float) {
        let span = high - low
        for i in 0..<count { pointer[i] = low + span * nextFloat() }
    }

    /// A derived generator for a separate stream (for example one per data-loader shard).
    public mutating func split() -> RandomGenerator { RandomGenerator(seed: next()) }
}

extension Tensor {
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        rng.fillNormal(t.pointer, count: t.count, mean: mean, std: std)
        return t
    }

    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        rng.fillUniform(t.pointer, count: t.count, low: low, high: high)
        return t
    }
}
