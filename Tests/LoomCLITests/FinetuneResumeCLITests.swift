import Foundation
import XCTest

/// SIGINT during `loom finetune` saves a resumable checkpoint and exits 130; the same command
/// plus --resume ends with exactly the weights of a run that never stopped.
final class FinetuneResumeCLITests: XCTestCase {
    /// Corpus lines labelled by whether they mention the fox, split into train and val files.
    func writeExamples(corpus: URL, in root: URL) throws -> (train: URL, validation: URL) {
        let lines = try String(contentsOf: corpus, encoding: .utf8).split(separator: "\n")
        let labelled = lines.map { ($0.contains("fox") ? "fox" : "other") + "\t" + $0 }
        let train = root.appendingPathComponent("train.tsv"), validation = root.appendingPathComponent("val.tsv")
        try Data(labelled.prefix(240).joined(separator: "\n").utf8).write(to: train)
        try Data(labelled.suffix(60).joined(separator: "\n").utf8).write(to: validation)
        return (train, validation)
    }

    /// Runs `arguments` with stderr in `log`, sending `signal` once `log` contains `cue`.
    func runInterrupted(_ arguments: [String], log: URL, cue: String, signal: Int32) throws -> (status: Int32, stderr: String) {
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = CommandRunner.binary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        var reached = false
        while process.isRunning, !reached {
            reached = (try? String(contentsOf: log, encoding: .utf8))?.contains(cue) ?? false
            if !reached { usleep(2_000) }
        }
        XCTAssertTrue(reached, "the run ended before it could be interrupted")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: log, encoding: .utf8))
    }

    func testInterruptedFinetuningResumesToTheSameWeights() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = try TrainingFixtures.writeCorpus(in: root)
        let body = root.appendingPathComponent("body")
        let pretrain = try CommandRunner.run(["pretrain", "--corpus", corpus.path, "--out", body.path, "--layers", "1",
                                              "--heads", "2", "--dim", "16", "--context", "16", "--batch-size", "4",
                                              "--steps", "20", "--eval-every", "10", "--eval-batches", "2",
                                              "--final-eval-batches", "2", "--sample-every", "0", "--dropout", "0.1", "--seed", "3"])
        XCTAssertEqual(pretrain.status, 0, pretrain.stderr)
        let (train, validation) = try writeExamples(corpus: corpus, in: root)
        func arguments(_ out: URL) -> [String] {
            ["finetune", "--checkpoint", body.path, "--train", train.path, "--val", validation.path, "--out", out.path,
             "--epochs", "30", "--patience", "30", "--batch-size", "8", "--lr", "1e-3", "--seed", "5"]
        }
        let straight = root.appendingPathComponent("straight"), stopped = root.appendingPathComponent("stopped")
        let whole = try CommandRunner.run(arguments(straight))
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let first = try runInterrupted(arguments(stopped), log: root.appendingPathComponent("first.log"),
                                       cue: "epoch 1:", signal: SIGINT)
        XCTAssertEqual(first.status, 130, first.stderr)
        XCTAssertTrue(first.stderr.contains("--resume"), first.stderr)
        for file in ["optimizer.safetensors", "trainer.json", "best.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: stopped.appendingPathComponent(file).path), file)
        }
        let again = try CommandRunner.run(arguments(stopped))
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)

        let rest = try CommandRunner.run(arguments(stopped) + ["--resume"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        XCTAssertTrue(rest.stderr.contains("resumed"), rest.stderr)
        for file in ["model.safetensors", "config.json", "tokenizer.json"] {
            let a = try Data(contentsOf: straight.appendingPathComponent(file))
            let b = try Data(contentsOf: stopped.appendingPathComponent(file))
            XCTAssertEqual(a, b, "\(file) differs between the straight and the resumed run")
        }
        for file in ["optimizer.safetensors", "trainer.json", "best.safetensors"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: stopped.appendingPathComponent(file).path),
                           "\(file) stays behind in a finished run")
        }

        let missing = try CommandRunner.run(arguments(root.appendingPathComponent("missing")) + ["--resume"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("holds no checkpoint"), missing.stderr)
    }
}
