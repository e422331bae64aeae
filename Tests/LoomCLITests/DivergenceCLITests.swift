import Foundation
import XCTest

/// A run whose loss becomes NaN or infinite stops with the step, the last good checkpoint and
/// the usual causes; --detect-anomaly adds the op that first produced the value.
final class DivergenceCLITests: XCTestCase {
    func arguments(corpus: URL, out: URL) -> [String] {
        // A learning rate of 1e30 without clipping puts weights near 1e30 after one step, so
        // the next matmul overflows.
        ["pretrain", "--corpus", corpus.path, "--out", out.path, "--layers", "1", "--heads", "2", "--dim", "16",
         "--context", "16", "--batch-size", "4", "--steps", "50", "--lr", "1e30", "--min-lr", "0", "--warmup", "0",
         "--grad-clip", "0", "--save-every", "1", "--eval-every", "0", "--final-eval-batches", "1", "--sample-every", "0"]
    }

    func testDivergenceNamesStepCheckpointAndCauses() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = try TrainingFixtures.writeCorpus(in: root)
        let out = root.appendingPathComponent("run")

        let plain = try CommandRunner.run(arguments(corpus: corpus, out: out))
        XCTAssertEqual(plain.status, 1, plain.stderr)
        let message = plain.stderr.components(separatedBy: "\n").first { $0.hasPrefix("error: ") } ?? ""
        XCTAssertTrue(message.hasPrefix("error: step "), message)
        XCTAssertTrue(message.contains("the last good checkpoint is \(out.path) (step "), message)
        XCTAssertTrue(message.contains("learning rate too high (now "), message)
        XCTAssertTrue(message.contains("gradients not clipped (try --grad-clip 1)"), message)
        XCTAssertTrue(message.contains("Rerun with --detect-anomaly"), message)

        let detected = try CommandRunner.run(arguments(corpus: corpus, out: out) + ["--force", "--detect-anomaly"])
        XCTAssertEqual(detected.status, 1, detected.stderr)
        XCTAssertTrue(detected.stderr.contains("First non-finite value: "), detected.stderr)
        XCTAssertTrue(detected.stderr.contains(" produced "), detected.stderr)
        XCTAssertTrue(detected.stderr.contains("of shape ["), detected.stderr)
    }
}
