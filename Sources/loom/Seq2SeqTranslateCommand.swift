import ArgumentParser
import Foundation
import Loom

struct Seq2SeqTranslateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate",
        abstract: "Translate text with a trained encoder-decoder: one output line per input line.")

    @Option(help: "Checkpoint directory (OUT or OUT/best of `seq2seq train`).") var checkpoint: String
    @Option(help: "One source to translate.") var text: String?
    @Option(help: "A file with one source per line (a pair TSV's first column is used).") var input: String?
    @Option(help: "Beam width; 1 is greedy decoding.") var beam = 5
    @Flag(name: .customLong("show-attention"), help: "Print the attention weights of the first output on stderr.")
    var showAttention = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (text == nil) != (input == nil) else { throw ValidationError("give exactly one of --text and --input") }
        guard beam >= 1 else { throw ValidationError("--beam must be at least 1, got \(beam)") }
    }

    func run() throws {
        let (model, vocabularies) = try loadSeq2SeqModel(from: URL(fileURLWithPath: checkpoint))
        var sources: [String]
        if let text { sources = [text] } else {
            guard let data = FileManager.default.contents(atPath: input!) else { throw LoomError("cannot read \(input!)") }
            guard let content = String(data: data, encoding: .utf8) else {
                throw LoomError("\(input!): invalid UTF-8 at byte offset \(firstInvalidUTF8Offset([UInt8](data)) ?? 0)")
            }
            sources = content.split(separator: "\n").map { line in
                String(line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    .trimmingCharacters(in: .init(charactersIn: "\r"))
            }
        }
        let encoded = sources.map { vocabularies.source.encode($0) }
        let translations = Seq2SeqTranslator(model: model, beamWidth: beam).translate(encoded)
        var outputs: [String] = []
        for t in translations {
            let line = vocabularies.target.decode(t.tokens)
            outputs.append(line)
            print(line)
        }
        if showAttention, let first = translations.first {
            let sourceTokens = vocabularies.source.unit.tokens(sources[0])
            let outputTokens = vocabularies.target.tokenStrings(first.tokens) + ["</s>"]
            if let rows = Seq2SeqTranslator(model: model).attention(source: encoded[0], output: first.tokens) {
                Output.info("attention (rows: output tokens, columns: source tokens)")
                Output.info("      " + sourceTokens.map { $0.padding(toLength: 5, withPad: " ", startingAt: 0) }.joined(separator: " "))
                for (token, row) in zip(outputTokens, rows) {
                    Output.info(token.padding(toLength: 5, withPad: " ", startingAt: 0) + " "
                                + row.prefix(sourceTokens.count).map { String(format: "%5.2f", $0) }.joined(separator: " "))
                }
            } else {
                Output.info("this model has no attention")
            }
        }
        if common.json { Output.json(["outputs": outputs]) }
    }
}
