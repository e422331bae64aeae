import Foundation
import LoomData
import LoomNN
import LoomTensor
import XCTest
@testable import LoomModels

final class Seq2SeqModelTests: XCTestCase {
    func testVocabularyAndBatch() throws {
        let rows = [TSVRow(first: "cat", second: "k ae t", line: 1), TSVRow(first: "dog", second: "d ao g", line: 2)]
        XCTAssertEqual(Seq2SeqDataset.guessTargetUnit(rows), .spaceSeparated)
        XCTAssertEqual(Seq2SeqDataset.guessTargetUnit([TSVRow(first: "Haus", second: "house", line: 1)]), .characters)
        let target = Seq2SeqVocabulary.build(rows.map(\.second), unit: .spaceSeparated)
        XCTAssertEqual(Array(target.tokens.prefix(4)), ["<pad>", "<s>", "</s>", "<unk>"])
        XCTAssertEqual(target.encode("k ae zz"), [4, 5, 3])
        XCTAssertEqual(target.decode([4, 5, 2, 6]), "k ae")
        let decoded = try JSONDecoder().decode(Seq2SeqVocabulary.self, from: JSONEncoder().encode(target))
        XCTAssertEqual(decoded, target)

        let batch = Seq2SeqBatch([Seq2SeqExample(source: [4, 5, 6], target: [7], line: 1),
                                  Seq2SeqExample(source: [4], target: [7, 8], line: 2)])
        XCTAssertEqual(batch.source, [4, 5, 6, 4, 0, 0])
        XCTAssertEqual(batch.sourceLengths, [3, 1])
        XCTAssertEqual(batch.decoderInput, [1, 7, 0, 1, 7, 8])
        XCTAssertEqual(batch.decoderTarget, [7, 2, 0, 7, 8, 2])
        XCTAssertEqual(batch.targetTokens, 5)
    }

    func testPaddingDoesNotChangeTheEncoding() {
        // A source decoded alone and padded inside a batch must give the same output.
        var rng = RandomGenerator(seed: 2)
        for cell in Seq2SeqCellKind.allCases {
            var config = Seq2SeqConfig()
            config.sourceVocabularySize = 8; config.targetVocabularySize = 8
            config.embeddingDimension = 6; config.hiddenDimension = 5; config.cell = cell
            config.bidirectional = true; config.attention = .luong
            let model = Seq2SeqModel(config, using: &rng)
            model.eval()
            let stepper = Seq2SeqStepper(model: model)
            let alone = withoutGradients {
                stepper.step([1], model.encode(source: [4, 5], lengths: [2], steps: 2)).logProbabilities
            }
            let together = withoutGradients {
                stepper.step([1, 1], model.encode(source: [4, 5, 6, 7, 4, 4, 5, 0, 0, 0], lengths: [5, 2], steps: 5)).logProbabilities
            }
            for (a, b) in zip(alone, together.suffix(8)) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(cell)") }
            XCTAssertEqual(Seq2SeqTranslator(model: model, beamWidth: 2).translate([[4, 5, 6, 7, 4], [4, 5]])[1].tokens,
                           Seq2SeqTranslator(model: model, beamWidth: 2).translate([[4, 5]])[0].tokens)
        }
    }

    /// A tiny model learns to reverse short strings; its checkpoint reloads to the same outputs.
    func testLearnsToReverseAndReloads() throws {
        var rng = RandomGenerator(seed: 4)
        let letters = Array("abcdef")
        var rows: [TSVRow] = []
        for i in 0..<400 {
            let word = String((0..<(2 + rng.nextInt(below: 3))).map { _ in letters[rng.nextInt(below: letters.count)] })
            rows.append(TSVRow(first: word, second: String(word.reversed()), line: i + 1))
        }
        let vocabularies = Seq2SeqVocabularies(source: .build(rows.map(\.first), unit: .characters),
                                               target: .build(rows.map(\.second), unit: .characters))
        var config = Seq2SeqConfig()
        config.sourceVocabularySize = vocabularies.source.count
        config.targetVocabularySize = vocabularies.target.count
        config.embeddingDimension = 16; config.hiddenDimension = 32; config.dropout = 0
        config.bidirectional = true; config.attention = .bahdanau
        let model = Seq2SeqModel(config, using: &rng)
        let data = Seq2SeqDataset(rows: rows, vocabularies: vocabularies)
        var options = Seq2SeqTrainingOptions()
        options.steps = 300; options.batchSize = 32; options.learningRate = 1e-2; options.evaluateEvery = 300; options.warmupSteps = 10
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seq2seq-test-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = Seq2SeqTrainer.loss(model, data)
        let trainer = Seq2SeqTrainer(model: model, vocabularies: vocabularies, train: data, validation: nil, options: options)
        try trainer.run(saveTo: directory) { _ in }
        let after = Seq2SeqTrainer.loss(model, data)
        XCTAssertLessThan(after, before * 0.3, "loss \(before) -> \(after)")

        let sources = ["abc", "fed", "cafe"].map { vocabularies.source.encode($0) }
        let outputs = Seq2SeqTranslator(model: model, beamWidth: 3).translate(sources)
        let texts = outputs.map { vocabularies.target.decode($0.tokens) }
        XCTAssertGreaterThanOrEqual(zip(texts, ["cba", "def", "efac"]).filter { $0 == $1 }.count, 2, "\(texts)")

        let (reloaded, reloadedVocabularies) = try loadSeq2SeqModel(from: directory)
        XCTAssertEqual(reloadedVocabularies, vocabularies)
        let again = Seq2SeqTranslator(model: reloaded, beamWidth: 3).translate(sources)
        XCTAssertEqual(again.map(\.tokens), outputs.map(\.tokens))
        for (a, b) in zip(again, outputs) { XCTAssertEqual(a.logProbability, b.logProbability, accuracy: 1e-9) }
    }
}
