import ArgumentParser
import Foundation
import Loom

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Learn a tokenizer's vocabulary from a UTF-8 corpus and save it as JSON."
    )

    @Option(help: "Tokenizer kind: char (Unicode scalars), word (ICU words) or bpe (byte-level BPE).")
    var kind: TokenizerKind

    @Option(help: "The training text, UTF-8.")
    var corpus: String

    @Option(help: "Vocabulary size, counting special tokens (bpe default: 8000; char/word default: no limit).")
    var vocabSize: Int?

    @Option(help: "Keep only characters/words seen this many times; for bpe, the least count of a merged pair.")
    var minCount: Int?

    @Option(name: .customLong("special-token"), help: "A special token, matched in raw text (repeatable; bpe default: <|endoftext|>).")
    var specialTokens: [String] = []

    @Flag(help: "word: fold case and compatibility forms (NFKC_Casefold) before splitting.")
    var lowercase = false

    @Flag(help: "Replace invalid UTF-8 in the corpus with U+FFFD instead of stopping.")
    var lossy = false

    @Option(help: "Where to write the tokenizer JSON.")
    var out: String

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    @OptionGroup var common: TokenizerCommonOptions

    func validate() throws {
        if let vocabSize, vocabSize < 2 { throw ValidationError("--vocab-size must be at least 2") }
        if let minCount, minCount < 0 { throw ValidationError("--min-count must not be negative") }
        if kind == .bpe, let vocabSize, vocabSize < 256 + max(1, specialTokens.count) {
            throw ValidationError("--vocab-size for bpe must cover the 256 byte tokens and the special tokens")
        }
        if specialTokens.contains("") { throw ValidationError("--special-token must not be empty") }
    }

    func run() throws {
        try TokenizerCLI.reportingErrors {
            try TokenizerCLI.checkWritable(out, force: force)
            let text = try TextFile.read(corpus, lossy: lossy)
            if text.isEmpty { throw TokenizerError.emptyCorpus(source: corpus) }
            TokenizerCLI.printToStandardError("read \(corpus): \(text.utf8.count) bytes")
            let started = Date()
            let tokenizer = try train(text)
            let seconds = Date().timeIntervalSince(started)
            try tokenizer.save(to: out)
            TokenizerCLI.printToStandardError("trained \(kind.rawValue) tokenizer with \(tokenizer.vocabSize) tokens in "
                                 + "\(TokenizerCLI.formatSeconds(seconds)) s; wrote \(out)")
            if common.json {
                print(TokenizerCLI.jsonLine([("kind", TokenizerCLI.jsonString(kind.rawValue)), ("vocab_size", "\(tokenizer.vocabSize)"),
                                ("corpus_bytes", "\(text.utf8.count)"), ("train_seconds", TokenizerCLI.formatSeconds(seconds)),
                                ("threads", "\(common.threads)"), ("out", TokenizerCLI.jsonString(out))]))
            }
        }
    }

    private func train(_ text: String) throws -> any Tokenizer {
        switch kind {
        case .char:
            return try CharTokenizer.train(text, maxVocabSize: vocabSize, minCount: minCount ?? 1,
                                           specialTokens: specialTokens, source: corpus)
        case .word:
            return try WordTokenizer.train(text, maxVocabSize: vocabSize, minCount: minCount ?? 1,
                                           specialTokens: specialTokens, lowercase: lowercase, source: corpus)
        case .bpe:
            let trainer = BPETrainer(vocabSize: vocabSize ?? 8000,
                                     specialTokens: specialTokens.isEmpty ? ["<|endoftext|>"] : specialTokens,
                                     minFrequency: minCount ?? 0, threads: common.threads)
            var lastReport = Date()
            return try trainer.train(text, source: corpus) { merges, target in
                if Date().timeIntervalSince(lastReport) >= 1 || merges == target {
                    TokenizerCLI.printToStandardError("merges \(merges)/\(target)")
                    lastReport = Date()
                }
            }
        }
    }
}
