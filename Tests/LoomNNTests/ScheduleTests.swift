import XCTest
import Foundation
@testable import LoomNN

final class ScheduleTests: XCTestCase {
    func testStepExponentialAndCosine() {
        let step = StepDecay(initial: 0.1, stepSize: 3, gamma: 0.5)
        XCTAssertEqual([0, 2, 3, 5, 6, 9].map { step.learningRate(at: $0) }, [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])
        let exponential = ExponentialDecay(initial: 2, gamma: 0.9)
        XCTAssertEqual(exponential.learningRate(at: 3), 2 * 0.729, accuracy: 1e-6)
        let cosine = CosineDecay(initial: 1, minimum: 0.1, totalSteps: 100)
        XCTAssertEqual(cosine.learningRate(at: 0), 1)
        XCTAssertEqual(cosine.learningRate(at: 50), 0.55, accuracy: 1e-6)
        XCTAssertEqual(cosine.learningRate(at: 100), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cosine.learningRate(at: 250), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cosine.learningRate(at: 25), Float(0.1 + 0.9 * 0.5 * (1 + Foundation.cos(Double.pi / 4))), accuracy: 1e-6)
    }

    /// nanoGPT's get_lr, written out as in train.py.
    func nanoGPT(_ it: Int, learningRate: Double, minLR: Double, warmupIters: Int, decayIters: Int) -> Double {
        if it < warmupIters { return learningRate * Double(it + 1) / Double(warmupIters + 1) }
        if it > decayIters { return minLR }
        let decayRatio = Double(it - warmupIters) / Double(decayIters - warmupIters)
        let coeff = 0.5 * (1.0 + Foundation.cos(Double.pi * decayRatio))
        return minLR + coeff * (learningRate - minLR)
    }

    func testWarmupCosineIsNanoGPTsSchedule() {
        let schedule = WarmupCosine(maximum: 6e-4, minimum: 6e-5, warmupSteps: 100, decaySteps: 1000)
        for it in [0, 1, 50, 99, 100, 101, 300, 550, 999, 1000, 1001, 5000] {
            let expected = nanoGPT(it, learningRate: 6e-4, minLR: 6e-5, warmupIters: 100, decayIters: 1000)
            XCTAssertEqual(Double(schedule.learningRate(at: it)), expected, accuracy: 1e-10, "step \(it)")
        }
        XCTAssertEqual(schedule.learningRate(at: 0), Float(6e-4 / 101), accuracy: 1e-12)
        XCTAssertEqual(schedule.learningRate(at: 100), 6e-4)
        XCTAssertEqual(schedule.learningRate(at: 550), Float(6e-5 + 0.5 * (6e-4 - 6e-5)), accuracy: 1e-10)
    }

    func testReduceOnPlateauFollowsPatienceCooldownAndFloor() {
        var plateau = ReduceOnPlateau(mode: .min, factor: 0.5, patience: 2, threshold: 0.01, cooldown: 1, minimumLearningRate: 0.2)
        var lr: Float = 1
        var history: [Float] = []
        // 1.0 best; 0.995 is within the 1% threshold, so not an improvement.
        for metric: Float in [1.0, 0.995, 0.999, 1.2, 0.999, 1.1, 1.1, 1.1, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9] {
            lr = plateau.update(metric: metric, learningRate: lr)
            history.append(lr)
        }
        // Three bad evaluations (> patience 2) cut at the 4th; one cooldown evaluation, then
        // three more bad ones cut at the 8th; 0.5 is a new best (and ends the cooldown);
        // three bad ones later the cut stops at the floor.
        XCTAssertEqual(history, [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2])
        XCTAssertEqual(plateau.best, 0.5)
    }

    func testReduceOnPlateauInMaxMode() {
        var plateau = ReduceOnPlateau(mode: .max, factor: 0.1, patience: 0, threshold: 0)
        XCTAssertEqual(plateau.update(metric: 0.5, learningRate: 1), 1)
        XCTAssertEqual(plateau.update(metric: 0.6, learningRate: 1), 1)
        XCTAssertEqual(plateau.update(metric: 0.6, learningRate: 1), 0.1, accuracy: 1e-7)
    }

    func testEarlyStoppingWithPatienceAndMinimumDelta() {
        var stopper = EarlyStopping(mode: .min, patience: 2, minimumDelta: 0.1)
        XCTAssertTrue(stopper.update(metric: 2.0))
        XCTAssertTrue(stopper.update(metric: 1.5))
        XCTAssertFalse(stopper.update(metric: 1.45))  // better, but by less than 0.1
        XCTAssertFalse(stopper.shouldStop)
        XCTAssertFalse(stopper.update(metric: 1.6))
        XCTAssertTrue(stopper.shouldStop)
        XCTAssertEqual(stopper.best, 1.5)

        var accuracy = EarlyStopping(mode: .max, patience: 1)
        accuracy.update(metric: 0.7)
        accuracy.update(metric: 0.8)
        XCTAssertFalse(accuracy.shouldStop)
        accuracy.update(metric: 0.8)
        XCTAssertTrue(accuracy.shouldStop)
    }
}
