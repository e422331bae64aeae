import Foundation
import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor
import LoomText

/// A fine-tuning run stopped between steps, saved and resumed ends with exactly the weights
/// of a run that never stopped, early stopping and best-epoch weights included.
final class FinetuneResumeTests: XCTestCase {
    struct Run {
        let body: ClassifierCheckpoint.Body
        let classifier: SequenceClassifier
        let trainer: SequenceClassifierTrainer
    }

    /// A fresh classifier and trainer on the same data and seeds; 80 examples of batch 16
    /// make 5 steps an epoch.
    func makeRun(bodyDirectory: URL, learningRate: Float = 3e-3) throws -> Run {
        let body = try ClassifierCheckpoint.loadBody(from: bodyDirectory)
        let labels = ["early", "late"]
        let train = try LabelledSequences.encode(FinetuneTests.examples(count: 80, seed: 1), tokenizer: body.tokenizer,
                                                 labelNames: labels, context: 16, source: "train")
        let validation = try LabelledSequences.encode(FinetuneTests.examples(count: 30, seed: 2), tokenizer: body.tokenizer,
                                                      labelNames: labels, context: 16, source: "val")
        var rng = RandomGenerator(seed: 4)
        let classifier = SequenceClassifier(body: body.encoder, labels: labels, pooling: .last, using: &rng)
        var options = FinetuningOptions()
        options.epochs = 4
        options.learningRate = learningRate
        options.patience = 2
        let trainer = SequenceClassifierTrainer(classifier: classifier, train: train, validation: validation, options: options)
        return Run(body: body, classifier: classifier, trainer: trainer)
    }

    func weights(_ classifier: SequenceClassifier) -> [String: [UInt32]] {
        Dictionary(uniqueKeysWithValues: classifier.stateDict().map { ($0.0, $0.1.scalars.map(\.bitPattern)) })
    }

    func optimizerBytes(_ trainer: SequenceClassifierTrainer, _ directory: URL) throws -> Data {
        let url = directory.appendingPathComponent("compare-optimizer.safetensors")
        try trainer.optimizer.saveState(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Data(contentsOf: url)
    }

    func testStoppedRunResumesToTheSameWeights() throws {
        let bodyDirectory = try FinetuneTests.pretrainedCheckpoint("finetune-resume-body", dropout: 0.1)
        let saved = PretrainingFixtures.directory("finetune-resume-saved")
        defer {
            try? FileManager.default.removeItem(at: bodyDirectory)
            try? FileManager.default.removeItem(at: saved)
        }
        let straight = try makeRun(bodyDirectory: bodyDirectory)
        try straight.trainer.run()
        XCTAssertFalse(straight.trainer.wasInterrupted)

        // Stop twice: once mid-epoch after a best epoch exists, once at an epoch's first step.
        var resumedFrom = 0
        for stopAt in [7, 10, Int.max] {
            let run = try makeRun(bodyDirectory: bodyDirectory)
            if resumedFrom > 0 {
                try run.trainer.resume(from: saved)
                XCTAssertEqual(run.trainer.state.step, resumedFrom)
                XCTAssertNotNil(run.trainer.bestWeights, "the best epoch's weights come back from the checkpoint")
            }
            try run.trainer.run(shouldStop: { run.trainer.state.step >= stopAt })
            if stopAt == Int.max {
                XCTAssertFalse(run.trainer.wasInterrupted)
                XCTAssertEqual(run.trainer.state.step, straight.trainer.state.step)
                XCTAssertEqual(run.trainer.bestEpoch, straight.trainer.bestEpoch)
                XCTAssertEqual(weights(run.classifier), weights(straight.classifier), "resumed weights differ from the straight run's")
                // The classifier ends with the best epoch's weights; the optimizer's moments
                // record the whole run up to its last step.
                XCTAssertEqual(try optimizerBytes(run.trainer, saved), try optimizerBytes(straight.trainer, saved),
                               "resumed optimizer state differs from the straight run's")
            } else {
                XCTAssertTrue(run.trainer.wasInterrupted)
                XCTAssertEqual(run.trainer.state.step, stopAt)
                try ClassifierCheckpoint.save(run.classifier, body: run.body, to: saved, resumable: run.trainer)
                XCTAssertTrue(Checkpoint.canResume(from: saved))
                resumedFrom = stopAt
            }
        }
    }

    func testResumeWithOtherSettingsOrNoResumableCheckpointIsAnError() throws {
        let bodyDirectory = try FinetuneTests.pretrainedCheckpoint("finetune-resume-errors")
        let saved = PretrainingFixtures.directory("finetune-resume-errors-saved")
        defer {
            try? FileManager.default.removeItem(at: bodyDirectory)
            try? FileManager.default.removeItem(at: saved)
        }
        let first = try makeRun(bodyDirectory: bodyDirectory)
        try first.trainer.run(shouldStop: { first.trainer.state.step >= 3 })
        try ClassifierCheckpoint.save(first.classifier, body: first.body, to: saved, resumable: first.trainer)

        let other = try makeRun(bodyDirectory: bodyDirectory, learningRate: 1e-3)
        XCTAssertThrowsError(try other.trainer.resume(from: saved)) { error in
            XCTAssertTrue("\(error)".contains("--lr"), "\(error)")
        }

        let finished = try makeRun(bodyDirectory: bodyDirectory)
        try ClassifierCheckpoint.save(finished.classifier, body: finished.body, to: saved)
        XCTAssertFalse(FileManager.default.fileExists(atPath: saved.appendingPathComponent(SequenceClassifierTrainer.bestWeightsFile).path))
        XCTAssertThrowsError(try finished.trainer.resume(from: saved)) { error in
            XCTAssertTrue("\(error)".contains("no optimizer.safetensors"), "\(error)")
        }
    }
}
