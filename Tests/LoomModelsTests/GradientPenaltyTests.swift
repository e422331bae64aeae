import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// The WGAN-GP critic loss and its parameter gradient, built from an input-gradient pass and
/// a tangent pass (GradientPenalty.swift), against an independent double-precision critic
/// differentiated by central differences, and against PyTorch's double backward.
final class GradientPenaltyTests: XCTestCase {
    static func tinyCriticConfig(base: Int) -> GANConfig {
        var config = GANConfig()
        config.loss = .wassersteinGradientPenalty
        config.height = 8
        config.width = 8
        config.discriminatorChannels = base
        return config
    }

    static func batch(_ count: Int, _ rng: inout RandomGenerator, squash: Bool) -> Tensor {
        let t = Tensor.randomNormal([count, 1, 8, 8], using: &rng)
        for i in 0..<t.count { t.pointer[i] = squash ? Foundation.tanh(t.pointer[i]) : t.pointer[i] * 0.6 }
        return t
    }

    func testPenaltyAndItsGradientMatchFiniteDifferencesOfADoublePrecisionCritic() {
        var rng = RandomGenerator(seed: 21)
        let critic = DCGANDiscriminator(Self.tinyCriticConfig(base: 2), using: &rng)
        // Scaled up so that the input gradients' norms lie on both sides of 1.
        for (_, parameter) in critic.namedParameters() {
            let scaled = parameter.value.scalars.map { $0 * 2.2 }
            scaled.withUnsafeBufferPointer { parameter.assign($0.baseAddress!) }
        }
        let real = Self.batch(3, &rng, squash: false), fake = Self.batch(3, &rng, squash: true)
        let epsilon: [Float] = [0.2, 0.55, 0.9]
        let weight: Float = 10
        let points = DCGANDiscriminator.interpolate(real, fake, epsilon)
        let (gradient, slopes) = critic.inputGradient(at: points)
        let (direction, penalty, norms) = DCGANDiscriminator.penaltyDirection(gradient, weight: weight)
        critic.zeroGrad()
        (critic.tangent(direction, slopes: slopes).sum() * (1 / Float(3))).backward()

        let reference = DoubleCritic(critic)
        let x = points.scalars.map(Double.init)
        XCTAssertTrue(norms.contains { $0 < 1 } && norms.contains { $0 > 1 }, "norms \(norms)")
        for (b, norm) in norms.enumerated() {
            XCTAssertEqual(Double(norm), reference.gradientNorm(x, image: b, parameters: reference.parameters), accuracy: 1e-5)
        }
        XCTAssertEqual(Double(penalty), reference.penalty(x, weight: Double(weight), parameters: reference.parameters),
                       accuracy: 1e-5 * max(1, Double(penalty)))

        var checked = 0
        for (name, parameter) in critic.namedParameters() {
            // The tangent pass never reads the biases, so they may have no gradient at all.
            let grad = parameter.grad ?? TensorStorage(count: parameter.count, repeating: 0)
            if !name.hasSuffix("bias") { XCTAssertNotNil(parameter.grad, name) }
            for i in 0..<parameter.count {
                var plus = reference.parameters, minus = reference.parameters
                let h = 1e-6
                plus[name]![i] += h
                minus[name]![i] -= h
                let numeric = (reference.penalty(x, weight: Double(weight), parameters: plus)
                               - reference.penalty(x, weight: Double(weight), parameters: minus)) / (2 * h)
                XCTAssertEqual(Double(grad.pointer[i]), numeric, accuracy: 2e-4 * max(1, Swift.abs(numeric)), "\(name)[\(i)]")
                if name.hasSuffix("bias") { XCTAssertEqual(grad.pointer[i], 0, "\(name)[\(i)]: biases do not reach the penalty") }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 2 * 16 + 2 + 4 * 32 + 4 + 16 + 1)
    }

    func testCriticLossMatchesPyTorchDoubleBackward() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "wgan_gp_critic", withExtension: "safetensors", subdirectory: "Fixtures"))
        let file = try SafeTensors.read(url)
        let base = try XCTUnwrap(Int(file.metadata["discriminator_channels"] ?? ""))
        var rng = RandomGenerator(seed: 1)
        let critic = DCGANDiscriminator(Self.tinyCriticConfig(base: base), using: &rng)
        var weights: [String: Tensor] = [:]
        for (key, value) in file.tensors where key.hasPrefix("param.") { weights[String(key.dropFirst(6))] = value }
        try critic.load(stateDict: weights, file: url.path)  // strict: every name and shape must match

        func tensor(_ key: String) throws -> Tensor { try XCTUnwrap(file.tensors[key], key) }
        let weight = try XCTUnwrap(Float(file.metadata["penalty_weight"] ?? ""))
        let loss = critic.criticLoss(real: try tensor("real"), fake: try tensor("fake"), epsilon: try tensor("epsilon").scalars,
                                     penaltyWeight: weight)
        critic.zeroGrad()
        loss.objective.backward()

        func close(_ actual: [Float], _ key: String) throws {
            let expected = try tensor(key).scalars
            XCTAssertEqual(actual.count, expected.count, key)
            let scale = max(1, expected.map(Swift.abs).max() ?? 0)
            let worst = zip(actual, expected).map { Swift.abs($0 - $1) / scale }.max() ?? 0
            XCTAssertLessThan(worst, 1e-4, "\(key): largest relative difference \(worst)")
        }
        try close([loss.value], "loss")
        try close([loss.wassersteinEstimate], "wasserstein")
        try close([loss.penalty], "penalty")
        try close(loss.gradientNorms, "gradient_norms")
        try close(critic.inputGradient(at: DCGANDiscriminator.interpolate(try tensor("real"), try tensor("fake"),
                                                                          try tensor("epsilon").scalars)).gradient.scalars,
                  "input_gradient")
        for (name, parameter) in critic.namedParameters() {
            let grad = try XCTUnwrap(parameter.grad, name)
            try close(Array(UnsafeBufferPointer(start: grad.pointer, count: parameter.count)), "grad." + name)
        }
    }
}

/// The tiny critic (conv 4×4/2 → leaky ReLU → conv 4×4/2 → leaky ReLU → linear) in double
/// precision with dense matrices, written independently of the engine: D(x) = c·σ(M₂σ(M₁x + b₁) + b₂) + d,
/// so ∇ₓD = M₁ᵀ(s₁ ⊙ M₂ᵀ(s₂ ⊙ c)) with sᵢ the leaky ReLU's slopes.
struct DoubleCritic {
    let inChannels: Int, base: Int, size: Int
    var parameters: [String: [Double]] = [:]

    init(_ critic: DCGANDiscriminator) {
        inChannels = critic.config.channels
        base = critic.config.discriminatorChannels
        size = critic.config.height
        for (name, parameter) in critic.namedParameters() { parameters[name] = parameter.value.scalars.map(Double.init) }
    }

    /// Rows: output (channel, y, x) of a 4×4, stride 2, padding 1 convolution; columns: input.
    static func convolutionMatrix(_ weight: [Double], inChannels: Int, outChannels: Int, size: Int) -> [[Double]] {
        let out = size / 2
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: inChannels * size * size), count: outChannels * out * out)
        for o in 0..<outChannels {
            for oy in 0..<out {
                for ox in 0..<out {
                    for i in 0..<inChannels {
                        for ky in 0..<4 {
                            for kx in 0..<4 {
                                let y = oy * 2 - 1 + ky, x = ox * 2 - 1 + kx
                                guard y >= 0, y < size, x >= 0, x < size else { continue }
                                matrix[(o * out + oy) * out + ox][(i * size + y) * size + x] += weight[((o * inChannels + i) * 4 + ky) * 4 + kx]
                            }
                        }
                    }
                }
            }
        }
        return matrix
    }

    func gradient(_ x: [Double], parameters p: [String: [Double]]) -> [Double] {
        let m1 = Self.convolutionMatrix(p["conv1.weight"]!, inChannels: inChannels, outChannels: base, size: size)
        let m2 = Self.convolutionMatrix(p["conv2.weight"]!, inChannels: base, outChannels: 2 * base, size: size / 2)
        let plane1 = (size / 2) * (size / 2), plane2 = (size / 4) * (size / 4)
        let pre1 = m1.enumerated().map { r, row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } + p["conv1.bias"]![r / plane1] }
        let act1 = pre1.map { $0 > 0 ? $0 : 0.2 * $0 }
        let pre2 = m2.enumerated().map { r, row in zip(row, act1).reduce(0) { $0 + $1.0 * $1.1 } + p["conv2.bias"]![r / plane2] }
        let back2 = zip(pre2, p["classify.weight"]!).map { ($0 > 0 ? 1 : 0.2) * $1 }
        var back1 = [Double](repeating: 0, count: pre1.count)
        for (r, row) in m2.enumerated() { for c in 0..<row.count { back1[c] += row[c] * back2[r] } }
        for c in 0..<back1.count { back1[c] *= pre1[c] > 0 ? 1 : 0.2 }
        var g = [Double](repeating: 0, count: x.count)
        for (r, row) in m1.enumerated() { for c in 0..<row.count { g[c] += row[c] * back1[r] } }
        return g
    }

    func gradientNorm(_ x: [Double], image: Int, parameters: [String: [Double]]) -> Double {
        let length = inChannels * size * size
        let g = gradient(Array(x[image * length..<(image + 1) * length]), parameters: parameters)
        return g.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    func penalty(_ x: [Double], weight: Double, parameters: [String: [Double]]) -> Double {
        let images = x.count / (inChannels * size * size)
        let total = (0..<images).reduce(0.0) {
            let n = gradientNorm(x, image: $1, parameters: parameters)
            return $0 + (n - 1) * (n - 1)
        }
        return weight * total / Double(images)
    }
}
