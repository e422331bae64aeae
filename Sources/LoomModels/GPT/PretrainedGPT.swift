import Foundation
import LoomNN
import LoomTensor
import LoomText

/// A GPT with its tokenizer, loaded from a directory: a Loom checkpoint (`config.json` of
/// kind "gpt", `model.safetensors`, `tokenizer.json`) or a Hugging Face GPT-2 directory as
/// `save_pretrained` writes it (`config.json` with `"model_type": "gpt2"`, `model.safetensors`,
/// and `tokenizer.json` or `vocab.json` + `merges.txt`).
public struct PretrainedGPT {
    public enum Format: String { case loom, huggingFace = "hugging-face" }

    public let model: GPT
    public let tokenizer: any Tokenizer
    /// The end-of-text token, when the tokenizer has one; generation stops on it.
    public let endToken: Int?
    public let format: Format

    public static func load(directory path: String) throws -> PretrainedGPT {
        let directory = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoomError("\(path): no such checkpoint directory")
        }
        let configPath = directory.appendingPathComponent(Checkpoint.configFile).path
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw LoomError("\(configPath): file is missing; a checkpoint directory holds config.json")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LoomError("\(configPath): not a JSON object")
        }
        if object["model_type"] != nil { return try loadHuggingFace(directory, config: object, configPath: configPath) }
        let config = try Checkpoint.readConfig(GPTConfig.self, from: directory)
        try config.validate(file: configPath)
        let model = GPT(config: config, seed: 0)
        try Checkpoint.loadModel(into: model, from: directory)
        let tokenizerPath = directory.appendingPathComponent("tokenizer.json").path
        let tokenizer = try TokenizerFile.load(tokenizerPath)
        return try PretrainedGPT(model: model, tokenizer: tokenizer, endToken: endToken(of: tokenizer), format: .loom, file: tokenizerPath)
    }

    private init(model: GPT, tokenizer: any Tokenizer, endToken: Int?, format: Format, file: String) throws {
        guard tokenizer.vocabSize <= model.vocabularySize else {
            throw LoomError("\(file): the tokenizer has \(tokenizer.vocabSize) tokens but the model only \(model.vocabularySize)")
        }
        self.model = model
        self.tokenizer = tokenizer
        self.endToken = endToken.flatMap { $0 < model.vocabularySize ? $0 : nil }
        self.format = format
    }

    private static func endToken(of tokenizer: any Tokenizer) -> Int? {
        (tokenizer as? BPETokenizer)?.id(forToken: "<|endoftext|>")
    }

    private static func loadHuggingFace(_ directory: URL, config object: [String: Any], configPath: String) throws -> PretrainedGPT {
        func integer(_ keys: [String]) throws -> Int {
            for key in keys { if let value = (object[key] as? NSNumber)?.intValue { return value } }
            throw LoomError("\(configPath): missing integer field '\(keys[0])'")
        }
        let modelType = object["model_type"] as? String ?? ""
        guard modelType == "gpt2" else {
            throw LoomError("\(configPath): model_type '\(modelType)' is not supported; Loom reads Hugging Face 'gpt2' models")
        }
        let activation = object["activation_function"] as? String ?? "gelu_new"
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(activation) else {
            throw LoomError("\(configPath): activation_function '\(activation)' is not the tanh GELU Loom's GPT uses")
        }
        if let epsilon = (object["layer_norm_epsilon"] as? NSNumber)?.doubleValue, abs(epsilon - 1e-5) > 1e-12 {
            throw LoomError("\(configPath): layer_norm_epsilon \(epsilon) differs from the 1e-5 Loom's GPT uses")
        }
        let config = GPTConfig(
            vocabularySize: try integer(["vocab_size"]), contextLength: try integer(["n_positions", "n_ctx"]),
            layers: try integer(["n_layer"]), heads: try integer(["n_head"]), width: try integer(["n_embd"]),
            dropout: 0, bias: true)
        try config.validate(file: configPath)
        let weightsPath = directory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsPath.path) else {
            throw LoomError("\(weightsPath.path): file is missing (Loom reads the safetensors weights, not pytorch_model.bin)")
        }
        let model = GPT(config: config, seed: 0)
        let renamed = try GPT.nanoGPTStateDict(fromHuggingFace: try SafeTensors.read(weightsPath).tensors, file: weightsPath.path)
        try model.load(nanoGPTStateDict: renamed, file: weightsPath.path)
        let tokenizer = try TokenizerFile.load(directory.path)
        let end = (object["eos_token_id"] as? NSNumber)?.intValue ?? endToken(of: tokenizer)
        return try PretrainedGPT(model: model, tokenizer: tokenizer, endToken: end, format: .huggingFace, file: directory.path)
    }
}
