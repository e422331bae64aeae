import ArgumentParser
import Foundation
import Loom

struct NGramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ngram",
        abstract: "Kneser-Ney n-gram language models in ARPA format.",
        subcommands: [NGramTrainCommand.self, NGramScoreCommand.self, NGramGenerateCommand.self]
    )
}

struct NGramTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Estimate an interpolated modified Kneser-Ney model (one sentence per line) and write it as ARPA.")

    @Option(help: "The n-gram order.") var order = 3
    @Option(help: "Training text, one sentence per line.") var corpus: String
    @Option(help: "Where to write the ARPA file.") var out: String
    @Option(help: "Tokens: word (split on whitespace) or char (Unicode scalars).") var unit: NGramUnit = .word
    @Flag(help: "Replace the output if it exists.") var force = false
    @OptionGroup var common: TextCommonOptions

    func validate() throws {
        guard (1...16).contains(order) else { throw ValidationError("--order must be between 1 and 16, got \(order)") }
    }

    func run() throws {
        try TextCommandOutput.run {
            try TextCommandOutput.checkWritable(out, force: force)
            let start = Date()
            let lines = TextModelFiles.lines(try TextModelFiles.readText(corpus))
            TextCommandOutput.progress("read \(lines.count) lines from \(corpus)")
            let model = try KneserNeyModel.train(lines: lines, order: order, unit: unit)
            TextCommandOutput.progress("counted n-grams per order: \(model.ngramCounts.map(String.init).joined(separator: " ")) in \(TextCommandOutput.seconds(since: start)) s")
            for (k, d) in model.discounts.enumerated() {
                TextCommandOutput.progress("order \(k + 1) discounts D1 \(d[0]) D2 \(d[1]) D3+ \(d[2])")
            }
            try ARPAFormat.write(model, to: out)
            TextCommandOutput.progress("wrote \(out)")
            if common.json {
                TextCommandOutput.printJSON(["order": order, "ngrams": model.ngramCounts, "vocabulary": model.vocabulary.count,
                                             "unit": unit.rawValue, "seconds": TextCommandOutput.seconds(since: start)])
            }
        }
    }
}

/// Reads an ARPA file and settles its unit (given, or guessed from the vocabulary).
struct NGramModelOptions: ParsableArguments {
    @Option(help: "The ARPA model.") var model: String
    @Option(help: "Tokens: word or char; guessed from the model when left out.") var unit: NGramUnit?

    func load() throws -> KneserNeyModel {
        var loaded = try ARPAFormat.read(path: model, unit: unit ?? .word)
        loaded.unit = unit ?? ARPAFormat.guessUnit(loaded)
        TextCommandOutput.progress("loaded \(model): order \(loaded.order), \(loaded.vocabulary.count) tokens, \(loaded.unit.rawValue) unit")
        return loaded
    }
}

struct NGramScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Perplexity of a text, one sentence per line (</s> counted; OOVs scored as <unk>, as KenLM does).")

    @OptionGroup var modelOptions: NGramModelOptions
    @Option(help: "Text to score, one sentence per line.") var input: String
    @OptionGroup var common: TextCommonOptions

    func run() throws {
        try TextCommandOutput.run {
            let model = try modelOptions.load()
            let result = model.evaluate(lines: TextModelFiles.lines(try TextModelFiles.readText(input)))
            let summary = "perplexity \(result.perplexity) over \(result.tokens) tokens in \(result.sentences) sentences; "
                + "\(result.outOfVocabulary) OOV; perplexity without OOV \(result.perplexityWithoutOutOfVocabulary)"
            if common.json {
                TextCommandOutput.progress(summary)
                TextCommandOutput.printJSON(["perplexity": result.perplexity, "tokens": result.tokens, "oov": result.outOfVocabulary,
                                             "perplexity_excluding_oov": result.perplexityWithoutOutOfVocabulary,
                                             "sentences": result.sentences, "log10_probability": result.logProbability])
            } else {
                print(summary)
            }
        }
    }
}

struct NGramGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Sample sentences from an ARPA model.")

    @OptionGroup var modelOptions: NGramModelOptions
    @Option(help: "How many sentences.") var count = 5
    @Option(help: "Stop a sentence after this many tokens.") var maxTokens = 200
    @OptionGroup var common: TextCommonOptions

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
    }

    func run() throws {
        try TextCommandOutput.run {
            let model = try modelOptions.load()
            let samples = model.generate(count: count, seed: common.seed, maxTokens: maxTokens)
            if common.json {
                TextCommandOutput.printJSON(["samples": samples])
            } else {
                samples.forEach { print($0) }
            }
        }
    }
}
