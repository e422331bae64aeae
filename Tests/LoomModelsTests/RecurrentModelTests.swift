import XCTest
import Foundation
import LoomNN
import LoomTensor
@testable import LoomModels

final class RecurrentModelTests: XCTestCase {
    /// A tiny char LSTM learns a repeating text: the loss falls well below uniform.
    func testLanguageModelLossFalls() {
        let text = Array("abcabdabcabd".utf8).map { Int32($0 - 97) }  // ids 0...3
        var rng = RandomGenerator(seed: 5)
        let model = RecurrentLanguageModel(RecurrentLMConfig(cell: .lstm, vocabularySize: 4, contextLength: 8,
                                                             embeddingWidth: 8, hiddenWidth: 16, layers: 2), using: &rng)
        let optimizer = Adam(parameters: model.trainableParameters, learningRate: 0.02)
        var tokens: [Int32] = [], targets: [Int32] = []
        for start in 0..<3 { tokens += text[start..<(start + 8)]; targets += text[(start + 1)..<(start + 9)] }
        var first: Float = 0, last: Float = 0
        for step in 0..<80 {
            model.zeroGrad()
            let loss = model.loss(tokens: tokens, targets: targets, batch: 3, length: 8)
            loss.backward()
            optimizer.step()
            if step == 0 { first = loss.item }
            last = loss.item
        }
        XCTAssertGreaterThan(first, 1.2)
        XCTAssertLessThan(last, 0.3)
    }

    /// Feeding a text in two chunks with the carried state gives the logits of one pass.
    func testCarriedStateContinuesTheSequence() {
        var rng = RandomGenerator(seed: 6)
        let model = RecurrentLanguageModel(RecurrentLMConfig(cell: .gru, vocabularySize: 5, embeddingWidth: 4,
                                                             hiddenWidth: 6, layers: 2), using: &rng)
        let tokens: [Int32] = [1, 4, 2, 0, 3, 3]
        withoutGradients {
            let whole = model.logits(tokens: tokens, batch: 1, length: 6).scalars
            let first = model.logits(tokens: Array(tokens[0..<2]), batch: 1, length: 2, state: nil)
            let second = model.logits(tokens: Array(tokens[2...]), batch: 1, length: 4, state: first.state.detached())
            let joined = first.logits.scalars + second.logits.scalars
            for (a, b) in zip(whole, joined) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    /// A checkpoint saved and loaded gives identical logits.
    func testLanguageModelCheckpointRoundTrip() throws {
        var rng = RandomGenerator(seed: 7)
        let config = RecurrentLMConfig(cell: .rnnTanh, vocabularySize: 6, embeddingWidth: 4, hiddenWidth: 5, layers: 1)
        let model = RecurrentLanguageModel(config, using: &rng)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-rnn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Checkpoint.save(module: model, config: config, to: directory)
        XCTAssertEqual(try Checkpoint.readConfig(RecurrentLMConfig.self, from: directory), config)
        var other = RandomGenerator(seed: 99)
        let loaded = RecurrentLanguageModel(config, using: &other)
        try Checkpoint.loadModel(into: loaded, from: directory)
        let tokens: [Int32] = [0, 5, 2, 1]
        XCTAssertEqual(model.logits(tokens: tokens, batch: 1, length: 4).scalars,
                       loaded.logits(tokens: tokens, batch: 1, length: 4).scalars)
        XCTAssertEqual(model.namedParameters().map(\.0).prefix(3), ["embedding.weight", "rnn.weight_ih_l0", "rnn.weight_hh_l0"])
    }

    /// Padding a text inside a batch with a longer one leaves its logits unchanged, for
    /// every pooling, because padded steps are masked out.
    func testClassifierIgnoresPadding() {
        for pooling in RecurrentPooling.allCases {
            var rng = RandomGenerator(seed: 8)
            let model = RecurrentClassifier(RecurrentClassifierConfig(
                cell: .lstm, vocabularySize: 7, embeddingWidth: 4, hiddenWidth: 5, layers: 2, bidirectional: true,
                pooling: pooling, labels: ["a", "b", "c"]), using: &rng)
            model.eval()
            let short: [Int32] = [3, 1, 4], long: [Int32] = [1, 5, 2, 6, 5, 3]
            let alone = model.logits([short]).scalars
            let batched = model.logits([long, short]).scalars
            for (a, b) in zip(alone, batched[3...]) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(pooling)") }
        }
    }

    /// The classifier learns to tell two character alphabets apart.
    func testClassifierLearnsAToyTask() {
        var rng = RandomGenerator(seed: 9)
        var texts: [String] = [], labels: [Int] = []
        for i in 0..<64 {
            let label = i % 2
            let alphabet = label == 0 ? Array("abcd") : Array("wxyz")
            texts.append(String((0..<(3 + i % 5)).map { _ in alphabet[rng.nextInt(below: 4)] }))
            labels.append(label)
        }
        let characters = RecurrentClassifierTraining.characters(of: texts, maxLength: 16)
        let model = RecurrentClassifier(RecurrentClassifierConfig(
            cell: .gru, vocabularySize: characters.count + 1, embeddingWidth: 4, hiddenWidth: 8, pooling: .mean,
            labels: ["first", "second"], characters: characters, maxLength: 16), using: &rng)
        var training = RecurrentClassifierTraining()
        training.epochs = 15
        training.batchSize = 16
        training.learningRate = 0.01
        training.train(model, texts: texts, labels: labels)
        XCTAssertEqual(RecurrentClassifierTraining.predict(model, texts: ["abca", "zzyx", "dd", "wxw"]), [0, 1, 0, 1])
    }
}
