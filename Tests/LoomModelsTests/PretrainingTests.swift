import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor
import LoomText

/// Shared pieces for the pretraining, resume and fine-tuning tests: a tiny corpus, a
/// character tokenizer and scratch directories.
enum PretrainingFixtures {
    static let corpus = String(repeating: "the cat sat on the mat. the dog sat on the log. ", count: 40)

    static func tokenizer() throws -> CharTokenizer { try CharTokenizer.train(corpus) }

    static func data(context: Int) throws -> (CharTokenizer, TokenData) {
        let tokenizer = try tokenizer()
        let tokens = try TokenData.encode(corpus, with: tokenizer)
        return (tokenizer, try TokenData.split(tokens, context: context, source: "corpus"))
    }

    static func gptConfig(vocabularySize: Int, dropout: Float = 0) -> GPTConfig {
        GPTConfig(vocabularySize: vocabularySize, contextLength: 16, layers: 2, heads: 2, width: 16, dropout: dropout, bias: true)
    }

    static func options(steps: Int) -> PretrainingOptions {
        var options = PretrainingOptions()
        options.batchSize = 4
        options.steps = steps
        options.warmupSteps = 2
        options.learningRate = 3e-3
        options.evalEvery = 5
        options.evalBatches = 2
        options.finalEvalBatches = 4
        options.saveEvery = 0
        options.sampleEvery = 0
        return options
    }

    static func directory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-pretraining-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }
}

final class PretrainingTests: XCTestCase {
    func testSplitKeepsTheLastTenthForValidation() throws {
        let tokens = (0..<100).map { Int32($0) }
        let data = try TokenData.split(tokens, context: 4, source: "x")
        XCTAssertEqual(data.train.tokens, Array(tokens[..<90]))
        XCTAssertEqual(data.validation.tokens, Array(tokens[90...]))
    }

    func testWindowsAreShiftedByOneToken() {
        let stream = TokenStream(tokens: (0..<50).map { Int32($0) })
        var rng = RandomGenerator(seed: 3)
        let (inputs, targets) = stream.randomBatch(batch: 3, length: 5, using: &rng)
        XCTAssertEqual(inputs.count, 15)
        for i in 0..<15 { XCTAssertEqual(targets[i], inputs[i] + 1) }
        for b in 0..<3 { XCTAssertEqual(inputs[b * 5 + 4], inputs[b * 5] + 4) }
    }

    func testCorpusShorterThanOneContextIsAnError() {
        XCTAssertThrowsError(try TokenData.split((0..<30).map { Int32($0) }, context: 64, source: "tiny.txt")) { error in
            XCTAssertTrue("\(error)".contains("tiny.txt"), "\(error)")
            XCTAssertTrue("\(error)".contains("context"), "\(error)")
        }
    }

    func testBadOptionsAreErrors() {
        var options = PretrainingOptions()
        options.warmupSteps = 3000
        XCTAssertThrowsError(try options.validate())
        options = PretrainingOptions()
        options.batchSize = 0
        XCTAssertThrowsError(try options.validate())
    }

    func testGPTLossFallsOnATinyCorpus() throws {
        let (tokenizer, data) = try PretrainingFixtures.data(context: 16)
        let config = PretrainingFixtures.gptConfig(vocabularySize: tokenizer.vocabSize)
        var rng = RandomGenerator(seed: 1)
        let model = GPT(config: config, using: &rng)
        let trainer = try Pretrainer(model: model, config: config, tokenizer: tokenizer, data: data,
                                     options: PretrainingFixtures.options(steps: 60))
        let before = trainer.evaluate(batches: 4)
        let directory = PretrainingFixtures.directory("falls")
        defer { try? FileManager.default.removeItem(at: directory) }
        var evaluations: [Float] = []
        let summary = try trainer.run(saveTo: directory) { event in
            if case let .evaluation(_, _, validation) = event { evaluations.append(validation) }
        }
        XCTAssertLessThan(summary.validationLoss, before.validation - 0.6, "val loss \(before.validation) → \(summary.validationLoss)")
        XCTAssertEqual(summary.steps, 60)
        XCTAssertEqual(evaluations.count, 13)  // steps 0, 5, ..., 55 and the final one
        for file in ["config.json", "model.safetensors", "tokenizer.json", "optimizer.safetensors", "trainer.json",
                     "metrics.jsonl", "loss.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), file)
        }
        let records = MetricsLog(url: directory.appendingPathComponent("metrics.jsonl")).records()
        XCTAssertEqual(records.filter { $0["loss"] != nil }.count, 60)
        XCTAssertTrue(try String(contentsOf: directory.appendingPathComponent("loss.svg"), encoding: .utf8).contains("<polyline"))
        let reloaded = try PretrainedGPT.load(directory: directory.path)
        XCTAssertEqual(reloaded.model.stateDict().map { $0.1.scalars }, model.stateDict().map { $0.1.scalars })
    }

    /// Shards change only the order of the gradient sums, so a few steps in 1 and in 3
    /// shards end at nearly the same weights, and the number of shards is saved with the run.
    func testShardedStepsFollowTheUnshardedRun() throws {
        let (tokenizer, data) = try PretrainingFixtures.data(context: 16)
        let config = PretrainingFixtures.gptConfig(vocabularySize: tokenizer.vocabSize)
        func train(shards: Int) throws -> (GPT, Pretrainer<GPTConfig>) {
            var rng = RandomGenerator(seed: 1)
            let model = GPT(config: config, using: &rng)
            var options = PretrainingFixtures.options(steps: 4)
            options.batchSize = 6
            options.shards = shards
            let trainer = try Pretrainer(model: model, config: config, tokenizer: tokenizer, data: data, options: options)
            let directory = PretrainingFixtures.directory("shards-\(shards)")
            defer { try? FileManager.default.removeItem(at: directory) }
            try trainer.run(saveTo: directory)
            XCTAssertEqual(try Pretrainer<GPTConfig>.savedOptions(in: directory)?.shards, shards)
            return (model, trainer)
        }
        let (one, _) = try train(shards: 1)
        let (three, trainer) = try train(shards: 3)
        XCTAssertEqual(trainer.shardRows(batch: 6), [0..<2, 2..<4, 4..<6])
        var largest: Float = 0
        for ((name, a), (_, b)) in zip(one.stateDict(), three.stateDict()) {
            XCTAssertEqual(a.shape, b.shape, name)
            for (x, y) in zip(a.scalars, b.scalars) { largest = max(largest, abs(x - y)) }
        }
        XCTAssertLessThan(largest, 1e-4)
        XCTAssertNotEqual(one.stateDict().map { $0.1.scalars }, GPT(config: config, seed: 1).stateDict().map { $0.1.scalars })
    }

    func testDefaultShardsGiveEveryCoreASequenceOrSplitEachOp() {
        XCTAssertEqual(PretrainingOptions.defaultShards(batch: 12, cores: 2), 2)
        XCTAssertEqual(PretrainingOptions.defaultShards(batch: 12, cores: 8), 8)
        XCTAssertEqual(PretrainingOptions.defaultShards(batch: 4, cores: 8), 1)
        XCTAssertEqual(PretrainingOptions.defaultShards(batch: 1, cores: 2), 1)
        XCTAssertEqual(PretrainingOptions.defaultShards(batch: 5, cores: 1), 1)
    }

    func testBigramLossFallsAndSamplesDecode() throws {
        let (tokenizer, data) = try PretrainingFixtures.data(context: 8)
        let config = BigramConfig(vocabularySize: tokenizer.vocabSize, contextLength: 8)
        var rng = RandomGenerator(seed: 2)
        let model = BigramLanguageModel(config, using: &rng)
        var options = PretrainingFixtures.options(steps: 80)
        options.learningRate = 0.05
        let trainer = try Pretrainer(model: model, config: config, tokenizer: tokenizer, data: data, options: options)
        let before = trainer.evaluate(batches: 4).validation
        let directory = PretrainingFixtures.directory("bigram")
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try trainer.run(saveTo: directory)
        XCTAssertLessThan(summary.validationLoss, before - 0.5)
        let text = trainer.sample(tokens: 20, seed: 5)
        XCTAssertEqual(text.unicodeScalars.count, 20)
        XCTAssertEqual(text, trainer.sample(tokens: 20, seed: 5))
    }

    func testNonFiniteLossStopsNamingTheStep() throws {
        let (tokenizer, data) = try PretrainingFixtures.data(context: 8)
        let config = BigramConfig(vocabularySize: tokenizer.vocabSize, contextLength: 8)
        var rng = RandomGenerator(seed: 2)
        let model = BigramLanguageModel(config, using: &rng)
        let trainer = try Pretrainer(model: model, config: config, tokenizer: tokenizer, data: data,
                                     options: PretrainingFixtures.options(steps: 10))
        let directory = PretrainingFixtures.directory("nan")
        defer { try? FileManager.default.removeItem(at: directory) }
        let table = model.parameters[0]
        for i in 0..<table.count { table.value.pointer[i] = .nan }
        XCTAssertThrowsError(try trainer.run(saveTo: directory)) { error in
            XCTAssertTrue("\(error)".contains("step 1"), "\(error)")
            XCTAssertTrue("\(error)".contains("no checkpoint"), "\(error)")
        }
    }
}
