import Foundation
import XCTest

/// SIGINT or SIGTERM during training saves a checkpoint and exits 130 with a hint; the same
/// command plus --resume then ends with exactly the weights of a run that never stopped.
final class InterruptResumeCLITests: XCTestCase {
    func pretrainArguments(corpus: URL, out: URL) -> [String] {
        ["pretrain", "--corpus", corpus.path, "--out", out.path, "--layers", "1", "--heads", "2", "--dim", "16",
         "--context", "16", "--batch-size", "4", "--steps", "1500", "--eval-every", "400", "--eval-batches", "2",
         "--final-eval-batches", "2", "--save-every", "500", "--sample-every", "0", "--seed", "3"]
    }

    func seq2seqArguments(pairs: URL, out: URL) -> [String] {
        ["seq2seq", "train", "--train", pairs.path, "--out", out.path, "--dim", "16", "--embedding-dim", "8",
         "--batch-size", "8", "--steps", "600", "--eval-every", "100", "--dropout", "0.1", "--seed", "4"]
    }

    /// Runs `arguments` once straight through and once with `signal` sent after the metrics
    /// file reached `lines` lines, then resumed; the checkpoint files must match byte for byte.
    func assertResumesExactly(_ arguments: (URL) -> [String], signal: Int32, after lines: Int, metrics: String,
                              files: [String], in root: URL) throws {
        let straight = root.appendingPathComponent("straight"), stopped = root.appendingPathComponent("stopped")
        let whole = try CommandRunner.run(arguments(straight))
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let first = try CommandRunner.run(arguments(stopped)) { process in
            let reached = TrainingFixtures.waitForLines(stopped.appendingPathComponent(metrics), atLeast: lines, while: process)
            XCTAssertTrue(reached, "the run ended before it could be interrupted")
            kill(process.processIdentifier, signal)
        }
        XCTAssertEqual(first.status, 130, first.stderr)
        XCTAssertTrue(first.stderr.contains("--resume"), first.stderr)
        let rest = try CommandRunner.run(arguments(stopped) + ["--resume"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        XCTAssertTrue(rest.stderr.contains("resumed"), rest.stderr)
        for file in files {
            let a = try Data(contentsOf: straight.appendingPathComponent(file))
            let b = try Data(contentsOf: stopped.appendingPathComponent(file))
            XCTAssertEqual(a, b, "\(file) differs between the straight and the resumed run")
        }
    }

    func testInterruptedPretrainingResumesToTheSameWeights() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = try TrainingFixtures.writeCorpus(in: root)
        try assertResumesExactly({ self.pretrainArguments(corpus: corpus, out: $0) }, signal: SIGINT, after: 150,
                                 metrics: "metrics.jsonl", files: ["model.safetensors", "optimizer.safetensors"], in: root)
    }

    func testTerminatedSeq2SeqTrainingResumesToTheSameWeights() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let pairs = try TrainingFixtures.writePairs(in: root)
        // seq2seq writes no metrics file; its first checkpoint (step 100) is the cue.
        try assertResumesExactly({ self.seq2seqArguments(pairs: pairs, out: $0) }, signal: SIGTERM, after: 1,
                                 metrics: "trainer.json", files: ["model.safetensors", "optimizer.safetensors"], in: root)
    }
}
