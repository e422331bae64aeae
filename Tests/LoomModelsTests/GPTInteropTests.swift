import XCTest
@testable import LoomModels
import LoomNN
import LoomTensor
import LoomText

/// Loading GPTs written by other programs, and Loom checkpoints with their tokenizers.
final class GPTInteropTests: XCTestCase {
    func hfDirectory() throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "gpt_hf_tiny", withExtension: nil, subdirectory: "Fixtures")).path
    }

    func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gpt-interop-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testHuggingFaceDirectoryGivesPyTorchLogits() throws {
        let loaded = try PretrainedGPT.load(directory: try hfDirectory())
        XCTAssertEqual(loaded.format, .huggingFace)
        XCTAssertEqual(loaded.model.config, GPTConfig(vocabularySize: 300, contextLength: 16, layers: 2, heads: 4, width: 16))
        XCTAssertEqual(loaded.endToken, 0)
        let expected = try GPTModelTests.fixture("gpt_hf_expected")
        let expectedTokens = try expected.tensor("tokens").scalars.map { Int($0) }
        let text = try XCTUnwrap(expected.metadata["text"])
        XCTAssertEqual(Array(try loaded.tokenizer.encode(text).prefix(16)), expectedTokens)
        let logits = withoutGradients {
            loaded.model.logits(tokens: expectedTokens.map { Int32($0) }, batch: 1, length: expectedTokens.count)
        }
        assertClose(logits.scalars, try expected.tensor("logits").scalars, tolerance: 1e-4, "HF logits")
    }

    func testHuggingFaceNamesWithTransformerPrefixAndHead() throws {
        let directory = try hfDirectory()
        var weights: [String: Tensor] = [:]
        for (name, tensor) in try SafeTensors.read(URL(fileURLWithPath: directory + "/model.safetensors")).tensors {
            weights["transformer." + name] = tensor
        }
        weights["lm_head.weight"] = weights["transformer.wte.weight"]
        let renamed = try GPT.nanoGPTStateDict(fromHuggingFace: weights, file: "prefixed")
        XCTAssertEqual(renamed["transformer.h.0.attn.c_attn.weight"]?.shape, [48, 16])
        let model = GPT(config: GPTConfig(vocabularySize: 300, contextLength: 16, layers: 2, heads: 4, width: 16), seed: 0)
        try model.load(nanoGPTStateDict: renamed, file: "prefixed")
        let reference = try PretrainedGPT.load(directory: directory).model
        XCTAssertEqual(model.stateDict().map(\.1.scalars), reference.stateDict().map(\.1.scalars))
    }

    func testLoomCheckpointWithCharTokenizer() throws {
        let directory = temporaryDirectory()
        let tokenizer = try CharTokenizer.train("hello world")
        let config = GPTConfig(vocabularySize: tokenizer.vocabSize, contextLength: 8, layers: 1, heads: 2, width: 8)
        let model = GPT(config: config, seed: 3)
        try Checkpoint.save(module: model, config: config, to: directory)
        try tokenizer.save(to: directory.appendingPathComponent("tokenizer.json").path)
        let loaded = try PretrainedGPT.load(directory: directory.path)
        XCTAssertEqual(loaded.format, .loom)
        XCTAssertNil(loaded.endToken)
        XCTAssertEqual(loaded.model.stateDict().map(\.1.scalars), model.stateDict().map(\.1.scalars))
        XCTAssertTrue(loaded.tokenizer is CharTokenizer)
    }

    func testCorruptCheckpointsFailWithTheFileNamed() throws {
        let directory = temporaryDirectory()
        let config = GPTConfig(vocabularySize: 12, contextLength: 8, layers: 1, heads: 2, width: 8)
        try Checkpoint.save(module: GPT(config: config, seed: 3), config: config, to: directory)
        try CharTokenizer.train("hello world").save(to: directory.appendingPathComponent("tokenizer.json").path)
        let weights = directory.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(bytes.count - 10).write(to: weights)
        XCTAssertThrowsError(try PretrainedGPT.load(directory: directory.path)) { error in
            XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
        }
        try Data("{\"kind\": \"gpt\", \"n_layer\": 1}".utf8).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try PretrainedGPT.load(directory: directory.path)) { error in
            XCTAssertTrue("\(error)".contains("config.json"), "\(error)")
        }
        XCTAssertThrowsError(try PretrainedGPT.load(directory: directory.path + "/missing")) { error in
            XCTAssertTrue("\(error)".contains("no such checkpoint directory"), "\(error)")
        }
    }

    func testWrongHuggingFaceModelTypeIsRejected() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("{\"model_type\": \"llama\"}".utf8).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try PretrainedGPT.load(directory: directory.path)) { error in
            XCTAssertTrue("\(error)".contains("model_type 'llama'"), "\(error)")
        }
    }
}
