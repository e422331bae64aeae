import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor

/// The GPT model against PyTorch (a nanoGPT-style module in tools/fixtures/make_gpt_fixtures.py).
final class GPTModelTests: XCTestCase {
    static let tinyConfig = GPTConfig(vocabularySize: 11, contextLength: 8, layers: 2, heads: 2, width: 16, dropout: 0, bias: true)

    static func fixture(_ name: String) throws -> SafeTensors {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors.read(url)
    }

    static func tinyModel() throws -> GPT {
        let model = GPT(config: tinyConfig, seed: 1)
        try model.load(nanoGPTStateDict: try fixture("gpt_tiny_weights").tensors, file: "gpt_tiny_weights")
        return model
    }

    func testParameterNamesAreNanoGPTs() {
        let names = GPT(config: Self.tinyConfig, seed: 1).namedParameters().map(\.0)
        XCTAssertEqual(Array(names.prefix(6)), [
            "transformer.wte.weight", "transformer.wpe.weight",
            "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias",
            "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
        ])
        XCTAssertTrue(names.contains("transformer.h.1.mlp.c_fc.weight"))
        XCTAssertTrue(names.contains("transformer.h.1.mlp.c_proj.bias"))
        XCTAssertEqual(names.last, "transformer.ln_f.bias")
        XCTAssertFalse(names.contains("lm_head.weight"), "the output projection is tied to wte and saved once")
        XCTAssertEqual(names.count, 2 + 2 * 12 + 2)
        let noBias = GPT(config: GPTConfig(vocabularySize: 11, contextLength: 8, layers: 1, heads: 2, width: 16, bias: false), seed: 1)
        XCTAssertFalse(noBias.namedParameters().contains { $0.0.hasSuffix(".bias") })
    }

    func testInitializationFollowsGPT2() {
        let config = GPTConfig(vocabularySize: 64, contextLength: 32, layers: 4, heads: 4, width: 64)
        let model = GPT(config: config, seed: 2)
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.value.scalars) })
        func std(_ v: [Float]) -> Float {
            let mean = v.reduce(0, +) / Float(v.count)
            return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)).squareRoot()
        }
        XCTAssertEqual(std(parameters["transformer.wte.weight"]!), 0.02, accuracy: 0.002)
        XCTAssertEqual(std(parameters["transformer.h.0.mlp.c_fc.weight"]!), 0.02, accuracy: 0.002)
        XCTAssertEqual(std(parameters["transformer.h.0.attn.c_proj.weight"]!), 0.02 / Float(8).squareRoot(), accuracy: 0.001)
        XCTAssertEqual(std(parameters["transformer.h.3.mlp.c_proj.weight"]!), 0.02 / Float(8).squareRoot(), accuracy: 0.001)
        XCTAssertTrue(parameters["transformer.h.0.attn.c_attn.bias"]!.allSatisfy { $0 == 0 })
        XCTAssertTrue(parameters["transformer.h.0.ln_1.weight"]!.allSatisfy { $0 == 1 })
        XCTAssertEqual(GPT(config: config, seed: 2).stateDict().map(\.1.scalars), model.stateDict().map(\.1.scalars))
    }

    func testLogitsLossAndEveryGradientMatchPyTorch() throws {
        let model = try Self.tinyModel()
        let batch = try Self.fixture("gpt_tiny_batch")
        let tokens = try batch.tensor("tokens").scalars.map { Int32($0) }
        let targets = try batch.tensor("targets").scalars.map { Int32($0) }
        let logits = model.logits(tokens: tokens, batch: 3, length: 8)
        XCTAssertEqual(logits.shape, [3, 8, 11])
        assertClose(logits.scalars, try batch.tensor("logits").scalars, tolerance: 1e-4, "logits")
        model.zeroGrad()
        let loss = logits.reshaped([24, 11]).crossEntropy(targets: targets)
        XCTAssertEqual(loss.item, try batch.tensor("loss").item, accuracy: 1e-5)
        loss.backward()
        var worst: (Float, String) = (0, "")
        for (name, parameter) in model.namedParameters() {
            let expected = try batch.tensor("grad." + name).scalars
            let actual = try XCTUnwrap(parameter.grad, "no gradient for \(name)").buffer.map { $0 }
            // Relative to the tensor's largest gradient, so near-zero elements do not dominate.
            let scale = max(expected.map(abs).max() ?? 0, 1e-6)
            let difference = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
            if difference / scale > worst.0 { worst = (difference / scale, name) }
            XCTAssertLessThanOrEqual(difference / scale, 1e-4, "gradient of \(name)")
        }
        print("GPT parity: largest relative gradient difference \(worst.0) in \(worst.1)")
    }

    func testLossThroughProtocolMatchesPyTorch() throws {
        let model = try Self.tinyModel()
        let batch = try Self.fixture("gpt_tiny_batch")
        let loss = model.loss(tokens: try batch.tensor("tokens").scalars.map { Int32($0) },
                              targets: try batch.tensor("targets").scalars.map { Int32($0) }, batch: 3, length: 8)
        XCTAssertEqual(loss.item, try batch.tensor("loss").item, accuracy: 1e-5)
    }

    func testHiddenStatesAreLayerNormedRows() throws {
        let model = try Self.tinyModel()
        let hidden = withoutGradients { model.hiddenStates(tokens: [1, 2, 3, 4], batch: 2, length: 2) }
        XCTAssertEqual(hidden.shape, [2, 2, 16])
    }

    func testStateDictRoundTripsThroughCheckpoint() throws {
        let model = try Self.tinyModel()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gpt-roundtrip-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Checkpoint.save(module: model, config: model.config, to: directory)
        let config = try Checkpoint.readConfig(GPTConfig.self, from: directory)
        XCTAssertEqual(config, Self.tinyConfig)
        let reloaded = GPT(config: config, seed: 99)
        try Checkpoint.loadModel(into: reloaded, from: directory)
        let tokens: [Int32] = [1, 5, 7, 2]
        XCTAssertEqual(withoutGradients { reloaded.logits(tokens: tokens, batch: 1, length: 4) }.scalars,
                       withoutGradients { model.logits(tokens: tokens, batch: 1, length: 4) }.scalars)
    }

    func testUntiedHeadIsRejected() throws {
        var weights = try Self.fixture("gpt_tiny_weights").tensors
        weights["lm_head.weight"] = weights["lm_head.weight"]!.copied() * 2
        let model = GPT(config: Self.tinyConfig, seed: 1)
        XCTAssertThrowsError(try model.load(nanoGPTStateDict: weights, file: "w.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("lm_head.weight differs"), "\(error)")
        }
    }

    func testCompiledPrefixAndMaskBuffersAreAccepted() throws {
        var renamed: [String: Tensor] = [:]
        for (name, tensor) in try Self.fixture("gpt_tiny_weights").tensors { renamed["_orig_mod." + name] = tensor }
        renamed["_orig_mod.transformer.h.0.attn.bias"] = Tensor(ones: [1, 1, 8, 8])
        let model = GPT(config: Self.tinyConfig, seed: 1)
        try model.load(nanoGPTStateDict: renamed, file: "compiled")
        let reference = try Self.tinyModel()
        XCTAssertEqual(model.stateDict().map(\.1.scalars), reference.stateDict().map(\.1.scalars))
    }

    func testDropoutChangesTrainingOutputOnly() {
        let config = GPTConfig(vocabularySize: 11, contextLength: 8, layers: 1, heads: 2, width: 16, dropout: 0.2)
        let model = GPT(config: config, seed: 1)
        let tokens: [Int32] = [1, 2, 3, 4, 5]
        let training = withoutGradients { model.logits(tokens: tokens, batch: 1, length: 5) }.scalars
        model.eval()
        let first = withoutGradients { model.logits(tokens: tokens, batch: 1, length: 5) }.scalars
        let second = withoutGradients { model.logits(tokens: tokens, batch: 1, length: 5) }.scalars
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(training, first)
    }
}
