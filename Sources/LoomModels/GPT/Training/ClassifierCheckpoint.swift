import Foundation
import LoomCore
import LoomNN
import LoomTensor
import LoomText

/// Saving and loading fine-tuned classifiers, whose body is a GPT (or, for quick tests,
/// a bigram model). A classifier checkpoint holds `config.json` (kind "gpt-classifier":
/// the body's config, the label names and the pooling), `model.safetensors` (`body.…` and
/// `head.…`) and the body's `tokenizer.json`.
public enum ClassifierCheckpoint {
    /// A pretrained body and its tokenizer, read from a Loom checkpoint of kind "gpt" or
    /// "bigram", or a Hugging Face GPT-2 directory.
    public struct Body {
        public let encoder: any SequenceEncoder
        public let tokenizer: any Tokenizer
        let configuration: Configuration
    }

    enum Configuration {
        case gpt(GPTConfig)
        case bigram(BigramConfig)
    }

    /// Loads the body saved in `directory`; with `randomInitialization`, only its shape is
    /// read and the weights start fresh from `seed` (the from-scratch comparison).
    public static func loadBody(from directory: URL, randomInitialization: Bool = false, seed: UInt64 = 1) throws -> Body {
        let configPath = directory.appendingPathComponent(Checkpoint.configFile).path
        let kind = FileManager.default.fileExists(atPath: configPath) ? (try? Checkpoint.kind(in: directory)) : nil
        var rng = RandomGenerator(seed: seed)
        if kind == BigramConfig.kind {
            let config = try Checkpoint.readConfig(BigramConfig.self, from: directory)
            let model = BigramLanguageModel(config, using: &rng)
            if !randomInitialization { try Checkpoint.loadModel(into: model, from: directory) }
            let tokenizer = try TokenizerFile.load(directory.appendingPathComponent("tokenizer.json").path)
            return Body(encoder: model, tokenizer: tokenizer, configuration: .bigram(config))
        }
        if let kind, kind.hasSuffix("-classifier") {
            throw LoomError("\(configPath): this checkpoint is already a fine-tuned classifier ('\(kind)'); "
                            + "fine-tune from the pretrained checkpoint it came from")
        }
        let pretrained = try PretrainedGPT.load(directory: directory.path)
        var model = pretrained.model
        if randomInitialization { model = GPT(config: model.config, using: &rng) }
        return Body(encoder: model, tokenizer: pretrained.tokenizer, configuration: .gpt(model.config))
    }

    /// Saves the classifier; with `trainer`, the checkpoint is resumable: it adds the
    /// optimizer, `trainer.json` and the best weights so far (`best.safetensors`).
    public static func save(_ classifier: SequenceClassifier, body: Body, to directory: URL,
                            resumable trainer: SequenceClassifierTrainer? = nil) throws {
        let writeExtras: (URL) throws -> Void = { staging in
            try body.tokenizer.save(to: staging.appendingPathComponent("tokenizer.json").path)
            let best = staging.appendingPathComponent(SequenceClassifierTrainer.bestWeightsFile)
            if let weights = trainer?.bestWeights {
                try SafeTensors(tensors: weights, metadata: ["format": "pt"]).write(to: best)
            } else {
                unlink(best.path)
            }
        }
        let optimizer = trainer?.optimizer, state = trainer?.checkpointState()
        switch body.configuration {
        case let .gpt(config):
            let saved = SequenceClassifierConfig(body: config, labels: classifier.labels, pooling: classifier.pooling)
            try Checkpoint.save(module: classifier, config: saved, to: directory, optimizer: optimizer, trainerState: state,
                                alongside: writeExtras)
        case let .bigram(config):
            let saved = SequenceClassifierConfig(body: config, labels: classifier.labels, pooling: classifier.pooling)
            try Checkpoint.save(module: classifier, config: saved, to: directory, optimizer: optimizer, trainerState: state,
                                alongside: writeExtras)
        }
    }

    /// A fine-tuned classifier and its tokenizer.
    public static func load(from directory: URL) throws -> (classifier: SequenceClassifier, tokenizer: any Tokenizer) {
        let kind = try Checkpoint.kind(in: directory)
        var rng = RandomGenerator(seed: 0)
        let encoder: any SequenceEncoder
        let labels: [String], pooling: SequencePooling
        switch kind {
        case SequenceClassifierConfig<GPTConfig>.kind:
            let config = try Checkpoint.readConfig(SequenceClassifierConfig<GPTConfig>.self, from: directory)
            try config.body.validate(file: directory.appendingPathComponent(Checkpoint.configFile).path)
            encoder = GPT(config: config.body, using: &rng)
            (labels, pooling) = (config.labels, config.pooling)
        case SequenceClassifierConfig<BigramConfig>.kind:
            let config = try Checkpoint.readConfig(SequenceClassifierConfig<BigramConfig>.self, from: directory)
            encoder = BigramLanguageModel(config.body, using: &rng)
            (labels, pooling) = (config.labels, config.pooling)
        default:
            throw LoomError("\(directory.appendingPathComponent(Checkpoint.configFile).path): checkpoint holds a '\(kind)' model, "
                            + "not a fine-tuned classifier (run loom finetune first)")
        }
        guard labels.count >= 2 else {
            throw LoomError("\(directory.appendingPathComponent(Checkpoint.configFile).path): a classifier needs at least two labels")
        }
        let classifier = SequenceClassifier(body: encoder, labels: labels, pooling: pooling, using: &rng)
        try Checkpoint.loadModel(into: classifier, from: directory)
        let tokenizerPath = directory.appendingPathComponent("tokenizer.json").path
        let tokenizer = try TokenizerFile.load(tokenizerPath)
        guard tokenizer.vocabSize <= encoder.vocabularySize else {
            throw LoomError("\(tokenizerPath): the tokenizer has \(tokenizer.vocabSize) tokens but the model only \(encoder.vocabularySize)")
        }
        return (classifier, tokenizer)
    }
}
