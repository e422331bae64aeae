import Foundation
import XCTest

/// `loom eval` of a recurrent char-level language model reports bits per character, under
/// the same JSON key as the GPT's eval.
final class RecurrentEvalCLITests: XCTestCase {
    func testCharModelReportsBitsPerCharacter() throws {
        let directory = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try TrainingFixtures.writeCorpus(in: directory)
        let checkpoint = directory.appendingPathComponent("lm").path
        let train = try CommandRunner.run(["pretrain", "--model", "lstm", "--corpus", corpus.path, "--out", checkpoint,
                                           "--context", "16", "--dim", "16", "--embedding-dim", "8", "--batch-size", "4",
                                           "--steps", "5", "--eval-every", "0", "--sample-every", "0"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let eval = try CommandRunner.run(["eval", "--checkpoint", checkpoint, "--input", corpus.path, "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let last = try XCTUnwrap(eval.stdout.split(separator: "\n").last)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let loss = try XCTUnwrap(json["loss"] as? Double)
        let bits = try XCTUnwrap(json["bits_per_char"] as? Double, "keys: \(json.keys.sorted())")
        XCTAssertEqual(bits, loss / log(2), accuracy: 1e-9)
        XCTAssertEqual(json["bits_per_token"] as? Double, bits)
        XCTAssertGreaterThan(loss, 0)
        XCTAssertTrue(eval.stdout.contains("bits per character"), eval.stdout)
    }
}
