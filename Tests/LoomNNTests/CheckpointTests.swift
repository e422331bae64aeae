import XCTest
import Foundation
import LoomTensor
@testable import LoomNN

final class CheckpointTests: XCTestCase {
    struct TinyConfig: ModelConfiguration, Equatable {
        static let kind = "tiny"
        var vocabulary = 7
        var hidden = 5
        var dropout: Float = 0.2
    }

    struct OtherConfig: ModelConfiguration {
        static let kind = "other"
        var size = 1
    }

    /// Embedding → Linear → GELU → Dropout → Linear, with a buffer, over token ids.
    final class TinyModel: Module {
        let embedding: Embedding
        let layers: Sequential
        let scale = Parameter(Tensor(ones: [3]), kind: .buffer)
        init(_ config: TinyConfig, seed: UInt64) {
            var rng = RandomGenerator(seed: seed)
            embedding = Embedding(config.vocabulary, 4, using: &rng)
            layers = Sequential([Linear(4, config.hidden, using: &rng), GELU(), Dropout(config.dropout, using: &rng),
                                 Linear(config.hidden, 3, using: &rng)])
            scale.value.pointer[1] = Float(seed)
        }
        override var propertyNames: [String: String] { ["embedding": "wte", "layers": "mlp"] }
        func callAsFunction(_ ids: [Int32]) -> Tensor { layers(embedding(ids, shape: [ids.count])) * scale.tensor }
    }

    let ids: [Int32] = [0, 3, 6, 2, 2]
    let targets: [Int32] = [1, 0, 2, 2, 1]

    func trainStep(_ model: TinyModel, _ optimizer: Optimizer) {
        optimizer.zeroGrad()
        Loss.crossEntropy(model(ids), targets).backward()
        optimizer.clipGradientNorm(maxNorm: 1)
        optimizer.step()
    }

    func testSaveThenLoadGivesIdenticalOutputsAndResumesIdentically() throws {
        let dir = try temporaryDirectory("checkpoint")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = TinyConfig()
        let model = TinyModel(config, seed: 1)
        let optimizer = AdamW(model, learningRate: 0.01, weightDecay: 0.1)
        for _ in 0..<3 { trainStep(model, optimizer) }
        var state = TrainerState(step: 3, epoch: 1, dataPosition: 15, bestValidationLoss: 1.25,
                                 generator: RandomGenerator(state: [.max, 1, 0x8000_0000_0000_0001, 42]),
                                 layerGenerators: model.randomGeneratorStates())
        state.earlyStopping = EarlyStopping(patience: 3)
        state.earlyStopping!.update(metric: 1.25)
        state.notes = ["corpus": "bible"]
        try Checkpoint.save(module: model, config: config, to: dir, optimizer: optimizer, trainerState: state)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(),
                       ["config.json", "model.safetensors", "optimizer.safetensors", "trainer.json"])
        if let keep = ProcessInfo.processInfo.environment["LOOM_KEEP_CHECKPOINT"] {
            try Checkpoint.save(module: model, config: config, to: URL(fileURLWithPath: keep), optimizer: optimizer, trainerState: state)
        }

        XCTAssertEqual(try Checkpoint.kind(in: dir), "tiny")
        let restoredConfig = try Checkpoint.readConfig(TinyConfig.self, from: dir)
        XCTAssertEqual(restoredConfig, config)
        let copy = TinyModel(restoredConfig, seed: 99)
        try Checkpoint.loadModel(into: copy, from: dir)
        model.eval(); copy.eval()
        XCTAssertEqual(copy(ids).scalars, model(ids).scalars)
        XCTAssertEqual(copy.scale.value.scalars, [1, 1, 1])

        // Resume: a fresh optimizer loaded from the checkpoint takes the same next step.
        model.train(); copy.train()
        let resumed = AdamW(copy, learningRate: 0.5, weightDecay: 0.1)
        try Checkpoint.loadOptimizer(resumed, from: dir)
        XCTAssertEqual(resumed.stepCount, 3)
        XCTAssertEqual(resumed.learningRate, 0.01)
        let restoredState = try Checkpoint.readTrainerState(from: dir)
        XCTAssertEqual(restoredState, state)
        try copy.restoreRandomGenerators(restoredState.layerGenerators, file: "trainer.json")
        trainStep(model, optimizer)
        trainStep(copy, resumed)
        for ((name, a), (_, b)) in zip(model.stateDict(), copy.stateDict()) {
            XCTAssertEqual(a.scalars, b.scalars, "\(name) after the resumed step")
        }
        XCTAssertEqual(resumed.stateTensors().map(\.1.scalars), optimizer.stateTensors().map(\.1.scalars))
        XCTAssertTrue(Checkpoint.canResume(from: dir))
    }

    func testStateDictNamesAndStrictLoadingErrors() throws {
        let model = TinyModel(TinyConfig(), seed: 1)
        let names = model.stateDict().map(\.0)
        XCTAssertEqual(names, ["wte.weight", "mlp.0.weight", "mlp.0.bias", "mlp.3.weight", "mlp.3.bias", "scale"])
        var dict = Dictionary(model.stateDict(), uniquingKeysWith: { $1 })
        func message(_ d: [String: Tensor], strict: Bool = true) -> String {
            do { try TinyModel(TinyConfig(), seed: 2).load(stateDict: d, strict: strict, file: "m.safetensors"); return "" } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(message(dict), "")
        dict["extra.weight"] = Tensor(zeros: [2])
        XCTAssertTrue(message(dict).contains("unused tensor 'extra.weight'"), message(dict))
        XCTAssertEqual(message(dict, strict: false), "")
        dict["extra.weight"] = nil
        dict["mlp.3.bias"] = nil
        XCTAssertTrue(message(dict).contains("m.safetensors: missing tensor 'mlp.3.bias'"), message(dict))
        XCTAssertEqual(message(dict, strict: false), "")
        dict["mlp.3.bias"] = Tensor(zeros: [4])
        XCTAssertTrue(message(dict, strict: false).contains("tensor 'mlp.3.bias' has shape [4], but the model expects [3]"))
        // A failed load changes nothing.
        let target = TinyModel(TinyConfig(), seed: 2)
        let before = target.stateDict().map(\.1.scalars)
        XCTAssertThrowsError(try target.load(stateDict: dict))
        XCTAssertEqual(target.stateDict().map(\.1.scalars), before)
    }

    func testBrokenCheckpointsGiveNamedErrors() throws {
        let dir = try temporaryDirectory("broken")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = TinyModel(TinyConfig(), seed: 1)
        let optimizer = SGD(model, learningRate: 0.1, momentum: 0.9)
        trainStep(model, optimizer)
        try Checkpoint.save(module: model, config: TinyConfig(), to: dir, optimizer: optimizer, trainerState: TrainerState(step: 1))
        let modelPath = dir.appendingPathComponent(Checkpoint.modelFile)
        let good = try Data(contentsOf: modelPath)
        func loadError() -> String {
            do { try Checkpoint.loadModel(into: TinyModel(TinyConfig(), seed: 3), from: dir); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(loadError(), "")

        // Truncated: the last tensor's bytes run past the end.
        try good.prefix(good.count - 10).write(to: modelPath)
        XCTAssertTrue(loadError().hasPrefix(modelPath.path + ": "), loadError())
        XCTAssertTrue(loadError().contains("truncated"), loadError())
        // Corrupt header: the JSON no longer parses.
        var corrupt = good
        corrupt[8] = 0x78
        try corrupt.write(to: modelPath)
        XCTAssertTrue(loadError().contains(modelPath.path), loadError())
        XCTAssertTrue(loadError().contains("header is not a JSON object"), loadError())
        // A damaged entry names the tensor (header keys are sorted, so mlp.0.bias comes first).
        corrupt = good
        let header = String(decoding: good[8..<200], as: UTF8.self)
        let at = try XCTUnwrap(header.range(of: "\"dtype\":\"F32\""))
        corrupt[8 + header.utf8.distance(from: header.startIndex, to: at.lowerBound) + 9] = 0x58  // "F32" -> "X32"
        try corrupt.write(to: modelPath)
        XCTAssertTrue(loadError().contains(": tensor 'mlp.0.bias': unsupported dtype X32"), loadError())
        // Wrong shape in the file.
        let smaller = TinyModel(TinyConfig(vocabulary: 7, hidden: 6, dropout: 0.2), seed: 1)
        try SafeTensors(tensors: smaller.stateDict()).write(to: modelPath)
        XCTAssertTrue(loadError().contains("tensor 'mlp.0.weight' has shape [6, 4], but the model expects [5, 4]"), loadError())
        // Missing file.
        try FileManager.default.removeItem(at: modelPath)
        XCTAssertEqual(loadError(), "\(modelPath.path): file is missing")

        // Wrong config kind.
        XCTAssertThrowsError(try Checkpoint.readConfig(OtherConfig.self, from: dir)) { error in
            XCTAssertTrue("\(error)".contains("checkpoint holds a 'tiny' model, not a 'other' model"), "\(error)")
        }
        // Optimizer state of another kind, and of another model.
        XCTAssertThrowsError(try Checkpoint.loadOptimizer(Adam(model), from: dir)) { error in
            XCTAssertTrue("\(error)".contains("optimizer state is for SGD, but this optimizer is Adam"), "\(error)")
        }
        XCTAssertThrowsError(try Checkpoint.loadOptimizer(SGD(smaller, learningRate: 1, momentum: 0.9), from: dir)) { error in
            XCTAssertTrue("\(error)".contains("tensor 'momentum_buffer.mlp.0.weight' has shape [5, 4], but parameter 'mlp.0.weight' has shape [6, 4]"), "\(error)")
        }
        XCTAssertThrowsError(try Checkpoint.loadOptimizer(SGD(model, learningRate: 1), from: dir)) { error in
            XCTAssertTrue("\(error)".contains("unused tensor 'momentum_buffer.wte.weight'"), "\(error)")
        }
        // Broken trainer.json and config.json.
        let trainerPath = dir.appendingPathComponent(Checkpoint.trainerFile)
        try Data(#"{"epoch": 2}"#.utf8).write(to: trainerPath)
        XCTAssertThrowsError(try Checkpoint.readTrainerState(from: dir)) { error in
            XCTAssertEqual("\(error)", "\(trainerPath.path): missing field 'step'")
        }
        try Data(#"{"step": 2, "generator": ["0", "0", "0", "0"]}"#.utf8).write(to: trainerPath)
        XCTAssertThrowsError(try Checkpoint.readTrainerState(from: dir)) { error in
            XCTAssertTrue("\(error)".contains("field 'generator'"), "\(error)")
        }
        try Data(#"{"kind": "tiny", "vocabulary": "seven"}"#.utf8).write(to: dir.appendingPathComponent(Checkpoint.configFile))
        XCTAssertThrowsError(try Checkpoint.readConfig(TinyConfig.self, from: dir)) { error in
            XCTAssertTrue("\(error)".contains("config.json: field 'vocabulary' is not a Int"), "\(error)")
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent(Checkpoint.optimizerFile))
        XCTAssertThrowsError(try Checkpoint.loadOptimizer(optimizer, from: dir)) { error in
            XCTAssertTrue("\(error)".contains("optimizer.safetensors: optimizer state file is missing"), "\(error)")
        }
    }

    func testConfigFileIsFlatWithKindAndVersion() throws {
        let dir = try temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint.save(module: TinyModel(TinyConfig(), seed: 1), config: TinyConfig(hidden: 9), to: dir)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json"))) as! [String: Any]
        XCTAssertEqual(object["kind"] as? String, "tiny")
        XCTAssertEqual(object["loom_version"] as? String, Checkpoint.loomVersion)
        XCTAssertEqual(object["hidden"] as? Int, 9)
        XCTAssertFalse(Checkpoint.canResume(from: dir))
        let weights = try SafeTensors.read(dir.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(weights.metadata["format"], "pt")
        XCTAssertEqual(weights.names, ["wte.weight", "mlp.0.weight", "mlp.0.bias", "mlp.3.weight", "mlp.3.bias", "scale"])
    }
}
