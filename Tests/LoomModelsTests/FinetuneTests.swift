import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor
import LoomText

final class FinetuneTests: XCTestCase {
    /// Two classes told apart by their letters: "a" texts use a–e, "b" texts use v–z.
    static func examples(count: Int, seed: UInt64) -> [LabelledText] {
        var rng = RandomGenerator(seed: seed)
        let first = Array("abcde "), second = Array("vwxyz ")
        return (0..<count).map { i in
            let letters = i % 2 == 0 ? first : second
            let length = 3 + rng.nextInt(below: 20)
            let text = String((0..<length).map { _ in letters[rng.nextInt(below: letters.count)] })
            return LabelledText(label: i % 2 == 0 ? "early" : "late", text: text)
        }
    }

    /// A tiny GPT pretrained for a few steps on text of both classes, saved as a checkpoint.
    static func pretrainedCheckpoint(_ name: String, dropout: Float = 0) throws -> URL {
        let text = examples(count: 200, seed: 9).map(\.text).joined(separator: "\n")
        let tokenizer = try CharTokenizer.train(text)
        let data = try TokenData.split(try TokenData.encode(text, with: tokenizer), context: 16, source: "text")
        let config = PretrainingFixtures.gptConfig(vocabularySize: tokenizer.vocabSize, dropout: dropout)
        var rng = RandomGenerator(seed: 3)
        let model = GPT(config: config, using: &rng)
        let directory = PretrainingFixtures.directory(name)
        try Pretrainer(model: model, config: config, tokenizer: tokenizer, data: data,
                       options: PretrainingFixtures.options(steps: 10)).run(saveTo: directory)
        return directory
    }

    private func finetune(_ body: ClassifierCheckpoint.Body, pooling: SequencePooling, freeze: Bool = false,
                          classWeights: Bool = false) throws -> (SequenceClassifier, LabelledSequences) {
        let labels = ["early", "late"]
        let train = try LabelledSequences.encode(Self.examples(count: 160, seed: 1), tokenizer: body.tokenizer, labelNames: labels,
                                                 context: 16, source: "train")
        let validation = try LabelledSequences.encode(Self.examples(count: 60, seed: 2), tokenizer: body.tokenizer, labelNames: labels,
                                                      context: 16, source: "val")
        var rng = RandomGenerator(seed: 4)
        let classifier = SequenceClassifier(body: body.encoder, labels: labels, pooling: pooling, using: &rng)
        if freeze { classifier.freezeBody() }
        var options = FinetuningOptions()
        options.epochs = 4
        options.learningRate = 3e-3
        options.classWeights = classWeights
        try SequenceClassifierTrainer(classifier: classifier, train: train, validation: validation, options: options).run()
        return (classifier, validation)
    }

    func testFinetunedClassifierSeparatesTwoClassesAndReloads() throws {
        let directory = try Self.pretrainedCheckpoint("finetune-body")
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = try ClassifierCheckpoint.loadBody(from: directory)
        let (classifier, validation) = try finetune(body, pooling: .last)
        let accuracy = SequenceClassifierTrainer.accuracy(classifier, validation)
        XCTAssertGreaterThan(accuracy, 0.95)

        let saved = PretrainingFixtures.directory("finetuned")
        defer { try? FileManager.default.removeItem(at: saved) }
        try ClassifierCheckpoint.save(classifier, body: body, to: saved)
        let (reloaded, tokenizer) = try ClassifierCheckpoint.load(from: saved)
        XCTAssertEqual(reloaded.labels, ["early", "late"])
        XCTAssertEqual(tokenizer.vocabSize, body.tokenizer.vocabSize)
        XCTAssertEqual(SequenceClassifierTrainer.predictions(reloaded, validation.sequences),
                       SequenceClassifierTrainer.predictions(classifier, validation.sequences))
        XCTAssertThrowsError(try ClassifierCheckpoint.loadBody(from: saved))  // a classifier is no body
    }

    func testMeanPoolingFrozenBodyAndClassWeightsTrain() throws {
        let directory = try Self.pretrainedCheckpoint("finetune-frozen")
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = try ClassifierCheckpoint.loadBody(from: directory)
        let before = body.encoder.stateDict().map { $0.1.scalars }
        let (classifier, validation) = try finetune(body, pooling: .mean, freeze: true, classWeights: true)
        XCTAssertEqual(body.encoder.stateDict().map { $0.1.scalars }, before, "a frozen body must not change")
        XCTAssertGreaterThan(SequenceClassifierTrainer.accuracy(classifier, validation), 0.9)
    }

    func testPaddingDoesNotChangeTheLogits() throws {
        let directory = try Self.pretrainedCheckpoint("finetune-padding")
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = try ClassifierCheckpoint.loadBody(from: directory)
        for pooling in SequencePooling.allCases {
            var rng = RandomGenerator(seed: 4)
            let classifier = SequenceClassifier(body: body.encoder, labels: ["x", "y"], pooling: pooling, using: &rng)
            classifier.eval()
            let alone = withoutGradients { classifier.logits([[3, 4, 5]]).scalars }
            let padded = withoutGradients { classifier.logits([[3, 4, 5], [6, 7, 8, 9, 10, 11]]).scalars }
            for (a, b) in zip(alone, padded.prefix(2)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testUnknownLabelIsAnError() throws {
        let tokenizer = try CharTokenizer.train("abc")
        XCTAssertThrowsError(try LabelledSequences.encode([LabelledText(label: "zzz", text: "abc")], tokenizer: tokenizer,
                                                          labelNames: ["a", "b"], context: 8, source: "val.tsv")) { error in
            XCTAssertTrue("\(error)".contains("val.tsv"), "\(error)")
        }
    }
}
