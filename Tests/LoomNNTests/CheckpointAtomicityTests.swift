import Foundation
import XCTest
import LoomTensor
@testable import LoomCore
@testable import LoomNN

/// A checkpoint directory is replaced as a whole: a failed or interrupted save leaves the
/// previous version, and what a crash leaves beside it is tidied on the next load.
final class CheckpointAtomicityTests: XCTestCase {
    struct Config: ModelConfiguration { static let kind = "atomicity-test"; var width = 3 }

    var root: URL!
    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func model(_ value: Float) -> Linear {
        var rng = RandomGenerator(seed: 1)
        let layer = Linear(2, 3, using: &rng)
        layer.weight.value.pointer.update(repeating: value, count: layer.weight.value.count)
        return layer
    }

    func weight(in directory: URL) throws -> Float {
        try SafeTensors.read(directory.appendingPathComponent(Checkpoint.modelFile)).tensors["weight"]!.scalars[0]
    }

    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() }

    func testFailedSaveLeavesThePreviousCheckpointAndNoLeftovers() throws {
        let out = root.appendingPathComponent("run")
        try Checkpoint.save(module: model(1), config: Config(), to: out)
        try AtomicFile.write("log\n", to: out.appendingPathComponent("metrics.jsonl"))
        XCTAssertThrowsError(try Checkpoint.save(module: model(2), config: Config(), to: out) { staging in
            throw LoomError("\(staging.path)/tokenizer.json: disk full")
        }) { error in
            XCTAssertEqual("\(error)", "\(out.path)/tokenizer.json: disk full", "errors name the real directory")
        }
        XCTAssertEqual(try weight(in: out), 1)
        XCTAssertEqual(try entries(), ["run"])

        try Checkpoint.save(module: model(3), config: Config(), to: out)
        XCTAssertEqual(try weight(in: out), 3)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8), "log\n",
                       "files the save does not write are carried over")
        XCTAssertEqual(try entries(), ["run"])
    }

    func testLeftoversOfACrashAreRemovedOrPutBack() throws {
        let out = root.appendingPathComponent("run")
        try Checkpoint.save(module: model(1), config: Config(), to: out)
        // A staging directory of a process that no longer runs (pid far above pid_max).
        let stale = root.appendingPathComponent(".run.staging-2147483600")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data([1, 2]).write(to: stale.appendingPathComponent("model.safetensors"))
        try Data().write(to: out.appendingPathComponent(".loss.svg.tmp-2147483601"))
        XCTAssertTrue(Checkpoint.exists(in: out))
        XCTAssertEqual(try entries(), ["run"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent(".loss.svg.tmp-2147483601").path))

        // Killed between moving the old version aside and moving the new one in.
        try FileManager.default.moveItem(at: out, to: root.appendingPathComponent(".run.old-2147483602"))
        XCTAssertEqual(try Checkpoint.kind(in: out), Config.kind)
        XCTAssertEqual(try weight(in: out), 1)
        XCTAssertEqual(try entries(), ["run"])
    }

    func testASaveWithoutOptimizerStateDropsTheOldOne() throws {
        let out = root.appendingPathComponent("run")
        let layer = model(1)
        let optimizer = AdamW(parameters: layer.namedParameters(), learningRate: 0.1)
        try Checkpoint.save(module: layer, config: Config(), to: out, optimizer: optimizer, trainerState: TrainerState())
        XCTAssertTrue(Checkpoint.canResume(from: out))
        try Checkpoint.save(module: layer, config: Config(), to: out)
        XCTAssertFalse(Checkpoint.canResume(from: out), "new weights must not sit beside old optimizer moments")
    }

    func testNewerLoomVersionIsRefused() throws {
        XCTAssertTrue(Checkpoint.isNewer("0.2.0", than: "0.1.0"))
        XCTAssertTrue(Checkpoint.isNewer("1.0", than: "0.9.9"))
        XCTAssertFalse(Checkpoint.isNewer("0.1.7", than: "0.1.0"), "patch releases keep the format")
        XCTAssertFalse(Checkpoint.isNewer("0.1.0", than: "0.1.0"))
    }
}
