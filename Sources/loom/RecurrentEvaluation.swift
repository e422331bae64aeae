import ArgumentParser
import Foundation
import Loom

/// `loom eval` for recurrent language models: the text is cut into `lanes` contiguous parts
/// read in parallel, window by window, with each part's state carried from one window to the
/// next (no token loses its history at a window boundary). With a char tokenizer, bits per
/// token are bits per character.
enum RecurrentEvaluation {
    /// Scores `input` with the recurrent language model in `checkpoint`.
    static func run(checkpoint: String, input: String, lanes: Int, window: Int, common: CommonOptions) throws {
        let directory = URL(fileURLWithPath: checkpoint)
        let config = try Checkpoint.readConfig(RecurrentLMConfig.self, from: directory)
        var rng = RandomGenerator(seed: common.seed)
        let model = RecurrentLanguageModel(config, using: &rng)
        try Checkpoint.loadModel(into: model, from: directory)
        let tokenizer = try TokenizerFile.load(directory.appendingPathComponent("tokenizer.json").path)
        let tokens = try TokenData.encode(try TextFile.read(input), with: tokenizer)
        guard tokens.count >= 2 else { throw LoomError("\(input): fewer than two tokens to score") }
        Output.info("scoring \(tokens.count) tokens of \(input)")
        let (loss, count) = model.streamLoss(tokens: tokens, batch: lanes, window: window)
        let bits = loss / log(2)
        let isChar = tokenizer is CharTokenizer
        print(String(format: "loss %.4f nats, perplexity %.4f, %.4f bits per %@ over %d tokens", loss, exp(loss), bits,
                     isChar ? "character" : "token", count))
        if common.json {
            var result: [String: Any] = ["loss": loss, "perplexity": exp(loss), "bits_per_token": bits, "tokens": count]
            if isChar { result["bits_per_char"] = bits }  // the key the GPT's eval gives for char models
            Output.json(result)
        }
    }
}
