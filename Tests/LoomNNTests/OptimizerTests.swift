import XCTest
import LoomTensor
@testable import LoomNN

final class OptimizerTests: XCTestCase {
    /// An ill-conditioned quadratic Σ s_i (w_i - t_i)², minimum 0 at t.
    func quadratic(_ w: Tensor) -> Tensor {
        let target = Tensor(shape: [4], values: [1, -2, 0.5, 3])
        let scale = Tensor(shape: [4], values: [1, 10, 0.5, 3])
        return ((w - target).square() * scale).sum()
    }

    /// Rosenbrock's valley (1 - x)² + 100 (y - x²)², minimum 0 at (1, 1).
    func rosenbrock(_ w: Tensor) -> Tensor {
        let x = w.slice(axis: 0, 0..<1), y = w.slice(axis: 0, 1..<2)
        return (1 - x).square().sum() + ((y - x.square()).square() * 100).sum()
    }

    func minimize(_ make: ([(String, Parameter)]) -> Optimizer, start: [Float], steps: Int,
                  _ loss: (Tensor) -> Tensor) -> (first: Float, last: Float) {
        let p = Parameter(Tensor(shape: [start.count], values: start))
        let optimizer = make([("w", p)])
        var first: Float = 0, last: Float = 0
        for step in 0..<steps {
            optimizer.zeroGrad()
            let value = loss(p.tensor)
            if step == 0 { first = value.item }
            last = value.item
            value.backward()
            optimizer.step()
        }
        return (first, last)
    }

    func testEveryOptimizerMinimizesAQuadratic() {
        let start: [Float] = [0, 0, 0, 0]
        let cases: [(String, ([(String, Parameter)]) -> Optimizer)] = [
            ("SGD", { SGD(parameters: $0, learningRate: 0.04) }),
            ("SGD momentum", { SGD(parameters: $0, learningRate: 0.01, momentum: 0.9) }),
            ("SGD Nesterov", { SGD(parameters: $0, learningRate: 0.01, momentum: 0.9, nesterov: true) }),
            ("RMSProp", { RMSProp(parameters: $0, learningRate: 0.01) }),
            ("RMSProp centered momentum", { RMSProp(parameters: $0, learningRate: 0.003, momentum: 0.5, centered: true) }),
            ("Adagrad", { Adagrad(parameters: $0, learningRate: 0.5) }),
            ("Adam", { Adam(parameters: $0, learningRate: 0.05) }),
            ("AdamW", { AdamW(parameters: $0, learningRate: 0.05, weightDecay: 0.01) }),
        ]
        for (name, make) in cases {
            let (first, last) = minimize(make, start: start, steps: 400, quadratic)
            XCTAssertLessThan(last, 1e-2 * first, "\(name): loss \(first) -> \(last)")
        }
    }

    func testAdamAndMomentumDescendRosenbrock() {
        let adam = minimize({ Adam(parameters: $0, learningRate: 0.02) }, start: [-1.2, 1], steps: 2000, rosenbrock)
        XCTAssertLessThan(adam.last, 1e-3, "Adam on Rosenbrock: \(adam.first) -> \(adam.last)")
        let sgd = minimize({ SGD(parameters: $0, learningRate: 1e-4, momentum: 0.9) }, start: [-1.2, 1], steps: 2000, rosenbrock)
        XCTAssertLessThan(sgd.last, 0.1 * sgd.first, "SGD momentum on Rosenbrock: \(sgd.first) -> \(sgd.last)")
    }

    /// Two steps on loss ½·Σw², whose gradient is w itself, from w = (1, -2), lr 0.1, momentum 0.9.
    func twoSteps(nesterov: Bool) -> [Float] {
        let p = Parameter(Tensor(shape: [2], values: [1, -2]))
        let sgd = SGD(parameters: [("w", p)], learningRate: 0.1, momentum: 0.9, nesterov: nesterov)
        for _ in 0..<2 {
            sgd.zeroGrad()
            (p.tensor.square().sum() * 0.5).backward()
            sgd.step()
        }
        return p.value.scalars
    }

    func testMomentumStepsMatchHandComputedValues() {
        // Heavy ball: b1 = g = (1, -2), w1 = (0.9, -1.8); b2 = 0.9·b1 + w1 = (1.8, -3.6), w2 = (0.72, -1.44).
        let heavy = twoSteps(nesterov: false)
        XCTAssertEqual(heavy[0], 0.72, accuracy: 1e-6)
        XCTAssertEqual(heavy[1], -1.44, accuracy: 1e-6)
        // Nesterov: w1 = w0 - 0.1·(g + 0.9·b1) = (0.81, -1.62); b2 = 0.9·b1 + w1 = (1.71, -3.42);
        // w2 = w1 - 0.1·(w1 + 0.9·b2) = (0.5751, -1.1502).
        let nesterov = twoSteps(nesterov: true)
        XCTAssertEqual(nesterov[0], 0.5751, accuracy: 1e-6)
        XCTAssertEqual(nesterov[1], -1.1502, accuracy: 1e-6)
    }

    func testParametersWithoutGradientsAreSkipped() {
        let used = Parameter(Tensor(shape: [2], values: [1, 1])), unused = Parameter(Tensor(shape: [2], values: [5, 5]))
        let adam = Adam(parameters: [("used", used), ("unused", unused)], learningRate: 0.1)
        used.tensor.sum().backward()
        adam.step()
        XCTAssertEqual(unused.value.scalars, [5, 5])
        XCTAssertEqual(adam.parameterSteps, [1, 0])
        XCTAssertEqual(used.value.scalars[0], 0.9, accuracy: 1e-6)  // Adam's first step moves lr·sign(g).
    }

    func testPenaltiesAndCoupledWeightDecay() {
        let p = Parameter(Tensor(shape: [2], values: [2, -4]))
        let sgd = SGD(parameters: [("w", p)], learningRate: 0.5, weightDecay: 0.1)
        sgd.l1Penalty = 0.2
        (p.tensor * 0).sum().backward()  // zero data gradient: only the penalties move w
        sgd.step()
        // w - lr·(0.1·w + 0.2·sign(w)) = 2 - 0.5·0.4, -4 - 0.5·(-0.6)
        XCTAssertEqual(p.value.scalars[0], 1.8, accuracy: 1e-6)
        XCTAssertEqual(p.value.scalars[1], -3.7, accuracy: 1e-6)
        XCTAssertEqual(p.grad!.buffer.map { $0 }, [0, 0])  // the gradient itself is untouched
    }

    func testClipGradientNormScalesToTheLimitAndReturnsTheNorm() {
        let a = Parameter(Tensor(shape: [2], values: [0, 0])), b = Parameter(Tensor(shape: [1], values: [0]))
        ((a.tensor * Tensor(shape: [2], values: [3, 4])).sum() + (b.tensor * 12).sum()).backward()
        let optimizer = SGD(parameters: [("a", a), ("b", b)], learningRate: 1)
        let norm = optimizer.clipGradientNorm(maxNorm: 1)
        XCTAssertEqual(norm, 13, accuracy: 1e-5)
        XCTAssertEqual(a.grad!.pointer[0], 3 / 13, accuracy: 1e-6)
        XCTAssertEqual(b.grad!.pointer[0], 12 / 13, accuracy: 1e-6)
        XCTAssertEqual(optimizer.clipGradientNorm(maxNorm: 5), 1, accuracy: 1e-5)  // under the limit: unchanged
        XCTAssertEqual(a.grad!.pointer[1], 4 / 13, accuracy: 1e-6)
    }

    func testAccumulatedMicroBatchesEqualOneBigBatch() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([8, 3], using: &rng), y = Tensor.randomNormal([8, 2], using: &rng)
        let model = Linear(3, 2, using: &rng)
        Loss.mse(model(x), y).backward()
        let whole = model.weight.value.grad!.scalars
        model.zeroGrad()
        let mean = accumulateGradients(microBatches: 4) { i in
            Loss.mse(model(x.slice(axis: 0, (2 * i)..<(2 * i + 2))), y.slice(axis: 0, (2 * i)..<(2 * i + 2)))
        }
        let accumulated = model.weight.value.grad!.scalars
        for (a, b) in zip(accumulated, whole) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(mean, withoutGradients { Loss.mse(model(x), y).item }, accuracy: 1e-5)
    }

    func testZeroedGradientOfAParameterNoBackwardReachedReadsAsZero() {
        let a = Parameter(Tensor(shape: [2], values: [1, 2])), b = Parameter(Tensor(shape: [1], values: [5]))
        let sgd = SGD(parameters: [("a", a), ("b", b)], learningRate: 1)
        ((a.tensor * 3).sum() + (b.tensor * 4).sum()).backward()
        sgd.step()
        XCTAssertEqual(b.value.scalars, [1])
        sgd.zeroGrad()
        (a.tensor * 2).sum().backward()  // b is not used this step
        XCTAssertEqual(b.grad!.buffer.map { $0 }, [0])
        sgd.step()
        XCTAssertEqual(a.value.scalars, [1 - 3 - 2, 2 - 3 - 2])
        XCTAssertEqual(b.value.scalars, [1])
    }

    func testLearningRateFollowsTheScheduleWhenSetPerStep() {
        let p = Parameter(Tensor(shape: [1], values: [0]))
        let sgd = SGD(parameters: [("w", p)], learningRate: 1)
        let schedule = StepDecay(initial: 1, stepSize: 1, gamma: 0.5)
        for step in 0..<3 {
            sgd.learningRate = schedule.learningRate(at: step)
            sgd.zeroGrad()
            p.tensor.sum().backward()  // gradient 1
            sgd.step()
        }
        XCTAssertEqual(p.value.scalars[0], -(1 + 0.5 + 0.25))
    }
}

final class TrainingGuardTests: XCTestCase {
    func testPackedParametersStepLikeSeparateOnes() {
        func run(packed: Bool) -> [Float] {
            var rng = RandomGenerator(seed: 8)
            let model = Sequential([Linear(3, 4, using: &rng), ReLU(), Linear(4, 2, using: &rng)])
            let optimizer = AdamW(model, learningRate: 0.05, weightDecay: 0.1)
            let pack = packed ? PackedParameters(model) : nil  // after the optimizer: it must follow the move
            let x = Tensor.randomNormal([5, 3], using: &rng)
            for _ in 0..<3 {
                if let pack { pack.zeroGrad() } else { optimizer.zeroGrad() }
                model(x).square().mean().backward()
                optimizer.step()
            }
            return model.stateDict().flatMap(\.1.scalars)
        }
        XCTAssertEqual(run(packed: true), run(packed: false))
    }


    func testFrozenAfterConstructionIsNotStepped() {
        var rng = RandomGenerator(seed: 4)
        let layer = Linear(2, 2, using: &rng)
        let adam = AdamW(layer, learningRate: 0.1)
        layer(Tensor(shape: [1, 2], values: [1, 2])).sum().backward()
        adam.step()
        let weight = layer.weight.value.scalars
        layer.weight.isFrozen = true
        adam.zeroGrad()
        layer(Tensor(shape: [1, 2], values: [1, 2])).sum().backward()
        adam.step()
        XCTAssertEqual(layer.weight.value.scalars, weight)
        XCTAssertEqual(adam.parameterSteps, [1, 2])
    }

    func testDivergenceNamesTheStepTheCheckpointAndTheCauses() {
        XCTAssertNoThrow(try DivergenceCheck.check(loss: 1.5, gradientNorm: 3, step: 10, learningRate: 1e-3))
        XCTAssertThrowsError(try DivergenceCheck.check(loss: .nan, step: 120, learningRate: 0.01, lastCheckpoint: "out (step 100)")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("step 120: the loss became nan; training stopped"), text)
            XCTAssertTrue(text.contains("the last good checkpoint is out (step 100), unchanged"), text)
            XCTAssertTrue(text.contains("learning rate too high (now 0.01"), text)
            XCTAssertTrue(text.contains("gradients not clipped (try --grad-clip 1)"), text)
            XCTAssertTrue(text.contains("--detect-anomaly"), text)
        }
        XCTAssertThrowsError(try DivergenceCheck.check(loss: 2, gradientNorm: .infinity, step: 7, learningRate: 0.01, gradientClip: 1)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("step 7: the gradient norm became inf (loss 2.0)"), text)
            XCTAssertTrue(text.contains("no checkpoint was saved before it"), text)
            XCTAssertTrue(text.contains("clipped too loosely (now at norm 1.0)"), text)
        }
    }
}
