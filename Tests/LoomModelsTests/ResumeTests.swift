import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// A run stopped after N steps and resumed for M more must equal N + M uninterrupted steps,
/// bit for bit: same weights, same optimizer moments.
final class ResumeTests: XCTestCase {
    private func makeTrainer(steps: Int, dropout: Float = 0.1, learningRate: Float = 3e-3,
                             shards: Int? = nil) throws -> Pretrainer<GPTConfig> {
        let (tokenizer, data) = try PretrainingFixtures.data(context: 16)
        let config = PretrainingFixtures.gptConfig(vocabularySize: tokenizer.vocabSize, dropout: dropout)
        var rng = RandomGenerator(seed: 7)
        let model = GPT(config: config, using: &rng)
        var options = PretrainingFixtures.options(steps: steps)
        options.gradientAccumulation = 2
        options.gradientClip = 0.5
        options.learningRate = learningRate
        options.shards = shards
        return try Pretrainer(model: model, config: config, tokenizer: tokenizer, data: data, options: options)
    }

    private func bits(_ module: Module) -> [[UInt32]] {
        module.stateDict().map { $0.1.scalars.map(\.bitPattern) }
    }

    func testResumedRunMatchesUninterruptedRunBitForBit() throws {
        try checkResumedRunMatchesUninterruptedRun { try self.makeTrainer(steps: 12) }
    }

    /// Without dropout, each batch runs as two shards on two threads (`ShardedGradients`).
    func testResumedShardedRunMatchesUninterruptedRunBitForBit() throws {
        try checkResumedRunMatchesUninterruptedRun { try self.makeTrainer(steps: 12, dropout: 0, shards: 2) }
    }

    private func checkResumedRunMatchesUninterruptedRun(_ makeTrainer: () throws -> Pretrainer<GPTConfig>) throws {
        let whole = try makeTrainer()
        let wholeDirectory = PretrainingFixtures.directory("whole")
        defer { try? FileManager.default.removeItem(at: wholeDirectory) }
        try whole.run(saveTo: wholeDirectory)

        let directory = PretrainingFixtures.directory("resumed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try makeTrainer()
        XCTAssertThrowsError(try first.run(saveTo: directory, shouldStop: { first.state.step >= 5 })) { error in
            XCTAssertTrue(error is TrainingInterrupted, "\(error)")
        }
        XCTAssertEqual(first.state.step, 5)
        XCTAssertNotEqual(bits(first.model), bits(whole.model))

        let second = try makeTrainer()
        try second.resume(from: directory)
        XCTAssertEqual(second.state.step, 5)
        try second.run(saveTo: directory)
        XCTAssertEqual(second.state.step, 12)
        XCTAssertEqual(bits(second.model), bits(whole.model))
        XCTAssertEqual(second.state.generator, whole.state.generator)
        XCTAssertEqual(second.model.randomGeneratorStates(), whole.model.randomGeneratorStates())
        let moments = { (t: Pretrainer<GPTConfig>) in t.optimizer.stateTensors().map { $0.1.scalars.map(\.bitPattern) } }
        XCTAssertEqual(moments(second), moments(whole))
        // The metrics file reads as one run: one record per step, in order.
        let steps = MetricsLog(url: directory.appendingPathComponent("metrics.jsonl")).records().compactMap { record in
            record["loss"] != nil ? record["step"] as? Int : nil
        }
        XCTAssertEqual(steps, Array(1...12))
    }

    func testResumeWithAChangedModelConfigurationIsAnError() throws {
        let directory = PretrainingFixtures.directory("changed")
        defer { try? FileManager.default.removeItem(at: directory) }
        try makeTrainer(steps: 3).run(saveTo: directory)
        let changed = try makeTrainer(steps: 6, dropout: 0.2)
        XCTAssertThrowsError(try changed.resume(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("dropout"), "\(error)")
        }
    }

    func testResumeWithAChangedLearningRateIsAnError() throws {
        let directory = PretrainingFixtures.directory("changed-lr")
        defer { try? FileManager.default.removeItem(at: directory) }
        try makeTrainer(steps: 3).run(saveTo: directory)
        let changed = try makeTrainer(steps: 6, learningRate: 1e-2)
        XCTAssertThrowsError(try changed.resume(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("--lr"), "\(error)")
        }
    }
}
