import Foundation
import XCTest

/// `kill -9` at any moment, a checkpoint save included, leaves the last complete checkpoint:
/// its files agree with each other and the run resumes from it.
final class CheckpointCrashCLITests: XCTestCase {
    func testKillDuringSavesLeavesALoadableCheckpoint() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = try TrainingFixtures.writeCorpus(in: root)
        let out = root.appendingPathComponent("run")
        let metrics = out.appendingPathComponent("metrics.jsonl")
        // Saving every step of a model with ~100k parameters: most of the time goes to saves,
        // so most kills land inside one.
        let arguments = ["pretrain", "--corpus", corpus.path, "--out", out.path, "--layers", "2", "--heads", "2",
                         "--dim", "64", "--context", "32", "--batch-size", "2", "--steps", "100000", "--save-every", "1",
                         "--eval-every", "0", "--final-eval-batches", "1", "--sample-every", "0", "--log-every", "1000"]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let resuming = round > 0
            let before = TrainingFixtures.lineCount(metrics)
            // A step's metrics line is written before that step's save, so the first round waits for
            // the second line: only then is one checkpoint certain to be complete.
            let wait = Int.random(in: (resuming ? 1 : 2)...25, using: &generator)
            let jitter = UInt32.random(in: 0...8_000, using: &generator)
            let result = try CommandRunner.run(arguments + (resuming ? ["--resume"] : [])) { process in
                let reached = TrainingFixtures.waitForLines(metrics, atLeast: before + wait, while: process)
                usleep(jitter)
                kill(process.processIdentifier, SIGKILL)
                XCTAssertTrue(reached, "round \(round): the run ended before the kill")
            }
            XCTAssertEqual(result.status, SIGKILL, "round \(round) was not killed: \(result.stderr)")
            if resuming { XCTAssertTrue(result.stderr.contains("resumed"), "round \(round): \(result.stderr)") }

            let context = "round \(round), killed \(wait) steps and \(jitter) µs in"
            let steps = try TrainingFixtures.savedSteps(in: out)
            XCTAssertEqual(steps.trainer, steps.optimizer, "trainer.json and optimizer.safetensors disagree: \(context)")
            XCTAssertGreaterThan(steps.trainer, 0, context)
        }
        // A final resume that runs to its time limit loads the checkpoint and tidies the crash's leftovers.
        let last = try CommandRunner.run(arguments + ["--resume", "--time-limit", "0.2"])
        XCTAssertEqual(last.status, 0, last.stderr)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".run.") }
        XCTAssertEqual(leftovers, [], "temporary directories left beside the checkpoint")
    }
}
