import ArgumentParser
import Foundation
import Loom

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with a GPT, streaming the text to stdout as it is produced.",
        discussion: """
        --checkpoint is a Loom GPT checkpoint (from `loom pretrain --model gpt`) or a Hugging Face GPT-2 \
        directory. stdout shows the prompt followed by its continuation; with --json, a last line adds \
        the generated text and timings. Generation stops early at the tokenizer's end-of-text token.
        """
    )

    @Option(help: "A GPT checkpoint directory (Loom or Hugging Face GPT-2).")
    var checkpoint: String

    @Option(help: "The text to continue.")
    var prompt: String

    @Option(help: "How many tokens to generate at most.")
    var maxTokens = 200

    @Option(help: "Sampling temperature; 0 always picks the most likely token.")
    var temperature: Float = 0.8

    @Option(help: "Sample only from the K most likely tokens.")
    var topK: Int?

    @Option(help: "Sample only from the most likely tokens whose probabilities add up to P (nucleus sampling).")
    var topP: Float?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if prompt.isEmpty { throw ValidationError("--prompt is empty; give at least one character to continue") }
        if maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        if !(temperature >= 0) || !temperature.isFinite { throw ValidationError("--temperature must be 0 or more, got \(temperature)") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if let topP, !(topP > 0 && topP <= 1) { throw ValidationError("--top-p must lie in (0, 1], got \(topP)") }
    }

    func run() throws {
        let loaded = try PretrainedGPT.load(directory: checkpoint)
        let promptTokens = try Self.encodePrompt(prompt, with: loaded.tokenizer, checkpoint: checkpoint)
        let streamer = TokenStreamer(tokenizer: loaded.tokenizer)
        FileHandle.standardOutput.write(Data(prompt.utf8))
        let options = GenerationOptions(maxNewTokens: maxTokens, temperature: temperature, topK: topK, topP: topP,
                                        stopToken: loaded.endToken, vocabularyLimit: loaded.tokenizer.vocabSize)
        var rng = RandomGenerator(seed: common.seed)
        let start = Date()
        var arrivals: [Date] = []
        let produced = try loaded.model.generate(prompt: promptTokens, options: options, using: &rng) { token in
            arrivals.append(Date())
            try streamer.emit(token)
        }
        let seconds = Date().timeIntervalSince(start)
        FileHandle.standardOutput.write(Data("\n".utf8))
        let firstTokenMilliseconds = (arrivals.first?.timeIntervalSince(start) ?? seconds) * 1000
        // The steady cost of one more token, after the prompt has been run.
        let perToken = arrivals.count > 1
            ? arrivals.last!.timeIntervalSince(arrivals.first!) * 1000 / Double(arrivals.count - 1) : firstTokenMilliseconds
        Output.info(String(format: "generated %d tokens in %.2f s (%.2f ms/token, first token after %.1f ms)",
                           produced.count, seconds, perToken, firstTokenMilliseconds))
        if common.json {
            Output.json([
                "text": try loaded.tokenizer.decode(produced), "prompt_tokens": promptTokens.count,
                "tokens": produced.count, "ms_per_token": perToken, "first_token_ms": firstTokenMilliseconds,
                "seconds": seconds, "seed": common.seed,
            ])
        }
    }

    /// The prompt's tokens; a character a char-level vocabulary lacks is an error naming it.
    static func encodePrompt(_ prompt: String, with tokenizer: any Tokenizer, checkpoint: String) throws -> [Int] {
        if let characters = tokenizer as? CharTokenizer {
            for (offset, scalar) in prompt.unicodeScalars.enumerated() {
                let text = String(scalar)
                if text != characters.unknownToken, characters.encode(text) == [0] {
                    let code = String(scalar.value, radix: 16, uppercase: true)
                    throw LoomError("--prompt: character '\(text)' (U+\(code)) at position \(offset) is not in the character vocabulary of \(checkpoint)")
                }
            }
        }
        let tokens = try tokenizer.encode(prompt)
        if tokens.isEmpty { throw LoomError("--prompt encodes to no tokens") }
        return tokens
    }
}

/// Writes tokens to stdout as they arrive. Byte-level BPE tokens are written as raw bytes, so a
/// character split across two tokens appears whole once its second token arrives.
final class TokenStreamer {
    private let tokenizer: any Tokenizer

    init(tokenizer: any Tokenizer) { self.tokenizer = tokenizer }

    func emit(_ token: Int) throws {
        if let bpe = tokenizer as? BPETokenizer {
            FileHandle.standardOutput.write(Data(try bpe.decodeBytes([token])))
        } else {
            FileHandle.standardOutput.write(Data(try tokenizer.decode([token]).utf8))
        }
    }
}
