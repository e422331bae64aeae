import Foundation
import XCTest

/// `loom images classify-train` as a user runs it: interrupted and resumed, and fed bad input.
final class ImageClassifierCLITests: XCTestCase {
    func trainArguments(_ out: URL) -> [String] {
        ["images", "classify-train", "--data", CommandRunner.fashionMNIST, "--out", out.path,
         "--limit", "1536", "--epochs", "2", "--seed", "5"]
    }

    func skipWithoutData() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: CommandRunner.fashionMNIST),
                          "dataset-fashion-mnist is not installed (tools/setup installs it)")
    }

    /// However far an interrupted run got, resuming it ends with exactly the weights of a
    /// run that never stopped.
    func testInterruptedRunResumesToTheSameWeights() throws {
        try skipWithoutData()
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let straight = root.appendingPathComponent("straight"), stopped = root.appendingPathComponent("stopped")

        let whole = try CommandRunner.run(trainArguments(straight))
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let first = try CommandRunner.run(trainArguments(stopped)) { process in
            Thread.sleep(forTimeInterval: 2.5)
            process.interrupt()
        }
        if first.status == 130 {
            XCTAssertTrue(first.stderr.contains("--resume"), first.stderr)
            let rest = try CommandRunner.run(trainArguments(stopped) + ["--resume"])
            XCTAssertEqual(rest.status, 0, rest.stderr)
        } else {
            XCTAssertEqual(first.status, 0, "finished before the signal arrived: \(first.stderr)")
        }
        for file in ["model.safetensors", "optimizer.safetensors", "best/model.safetensors"] {
            let a = try Data(contentsOf: straight.appendingPathComponent(file))
            let b = try Data(contentsOf: stopped.appendingPathComponent(file))
            XCTAssertEqual(a, b, "\(file) differs between the straight and the resumed run")
        }
    }

    func testBadInputGetsAClearError() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("judge")

        var r = try CommandRunner.run(["images", "classify-train", "--data", root.appendingPathComponent("nowhere").path, "--out", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains("nowhere") && r.stderr.contains("not found"), r.stderr)

        r = try CommandRunner.run(["images", "classify-train", "--epochs", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.hasPrefix("error: --epochs must be positive"), r.stderr)

        // A truncated IDX file names the file.
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            try Data([0, 0, 8, 3, 0, 0, 0, 9]).write(to: data.appendingPathComponent(name))
        }
        r = try CommandRunner.run(["images", "classify-train", "--data", data.path, "--out", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains("train-images-idx3-ubyte"), r.stderr)
    }

    func testExistingCheckpointIsNotOverwrittenAndCorruptionIsReported() throws {
        try skipWithoutData()
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("judge")
        let args = ["images", "classify-train", "--data", CommandRunner.fashionMNIST, "--out", out.path, "--limit", "128", "--epochs", "1"]
        XCTAssertEqual(try CommandRunner.run(args).status, 0)
        let model = out.appendingPathComponent("model.safetensors")
        let before = try Data(contentsOf: model)

        var r = try CommandRunner.run(args)
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("already holds a checkpoint") && r.stderr.contains("--force"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: model), before)

        try before.prefix(before.count / 2).write(to: model)
        r = try CommandRunner.run(args + ["--resume"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("error: ") && r.stderr.contains("model.safetensors") && r.stderr.contains("truncated"), r.stderr)
    }
}
