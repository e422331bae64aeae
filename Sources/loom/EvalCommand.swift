import ArgumentParser
import Foundation
import Loom

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a language model's next-token loss and perplexity on a text file (GPT or recurrent).",
        discussion: """
        The text is tokenized and cut into windows of the model's context length (the last one may be \
        shorter); every token after the first is predicted from the tokens before it in its window. \
        For a character tokenizer the result also gives bits per character.
        """
    )

    @Option(help: "A language-model checkpoint directory: Loom GPT or LSTM/GRU/RNN (from `loom pretrain`), or a Hugging Face GPT-2 directory.")
    var checkpoint: String

    @Option(help: "A UTF-8 text file to evaluate on.")
    var input: String

    @Option(help: "Windows evaluated together (fewer when their logits would not fit in about 256 MB).")
    var batchSize = 8

    @Option(help: "Recurrent models: parallel lanes of the text, each carrying its state.")
    var lanes = 32

    @Option(help: "Recurrent models: tokens per window.")
    var window = 128

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        guard lanes > 0, window > 0 else { throw ValidationError("--lanes and --window must be positive") }
    }

    func run() throws {
        let configFile = URL(fileURLWithPath: checkpoint).appendingPathComponent(Checkpoint.configFile)
        if FileManager.default.fileExists(atPath: configFile.path),
           (try? Checkpoint.kind(in: URL(fileURLWithPath: checkpoint))) == RecurrentLMConfig.kind {
            try RecurrentEvaluation.run(checkpoint: checkpoint, input: input, lanes: lanes, window: window, common: common)
            return
        }
        let loaded = try PretrainedGPT.load(directory: checkpoint)
        let text = try TextFile.read(input)
        let tokens = try loaded.tokenizer.encode(text).map { Int32($0) }
        guard tokens.count >= 2 else {
            throw LoomError("\(input): holds \(tokens.count) token\(tokens.count == 1 ? "" : "s"); evaluation needs at least 2")
        }
        let model = loaded.model
        model.eval()
        let context = model.contextLength
        // Windows of context + 1 tokens overlapping by one, so each token is predicted once.
        var windows: [Range<Int>] = []
        var start = 0
        while start + 1 < tokens.count {
            let end = min(start + context + 1, tokens.count)
            windows.append(start..<end)
            start = end - 1
        }
        let progress = ProgressBar(total: windows.count, label: "eval")
        var totalLoss = 0.0
        var predicted = 0
        var done = 0
        // Batches of equal-length windows (all but possibly the last have full length).
        let groups = Dictionary(grouping: windows, by: \.count).sorted { $0.key > $1.key }
        // Logits take batch × context × vocabulary floats: keep them under about 256 MB.
        let rowsPerBatch = max(1, min(batchSize, (64 << 20) / max(1, context * model.vocabularySize)))
        for (length, group) in groups {
            for batchStart in stride(from: 0, to: group.count, by: rowsPerBatch) {
                let batch = group[batchStart..<min(batchStart + rowsPerBatch, group.count)]
                var inputs: [Int32] = [], targets: [Int32] = []
                for window in batch {
                    inputs += tokens[window.lowerBound..<(window.upperBound - 1)]
                    targets += tokens[(window.lowerBound + 1)..<window.upperBound]
                }
                let loss = withoutGradients {
                    model.loss(tokens: inputs, targets: targets, batch: batch.count, length: length - 1)
                }
                totalLoss += Double(loss.item) * Double(targets.count)
                predicted += targets.count
                done += batch.count
                progress.update(done)
            }
        }
        let meanLoss = totalLoss / Double(predicted)
        var result: [String: Any] = ["loss": meanLoss, "perplexity": Foundation.exp(meanLoss), "tokens": predicted]
        var line = String(format: "loss %.4f, perplexity %.3f over %d tokens", meanLoss, Foundation.exp(meanLoss), predicted)
        if loaded.tokenizer is CharTokenizer {
            let bitsPerCharacter = meanLoss / Foundation.log(2.0)
            result["bits_per_char"] = bitsPerCharacter
            line += String(format: ", %.4f bits per character", bitsPerCharacter)
        }
        Output.info(line)
        if common.json { Output.json(result) } else { print(line) }
    }
}
