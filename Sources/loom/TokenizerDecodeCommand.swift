import ArgumentParser
import Foundation
import Loom

struct TokenizerDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Turn token ids back into text."
    )

    @Option(help: "A tokenizer file: Loom JSON, tokenizer.json, or GPT-2 vocab.json (+ merges.txt beside it).")
    var tokenizer: String

    @Option(help: "Token ids separated by spaces or commas, e.g. \"5 17 9\".")
    var ids: String?

    @Option(help: "A file of token ids separated by white space, as `encode --out` writes.")
    var input: String?

    @Option(help: "Write the text to this file, exactly, instead of stdout.")
    var out: String?

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    @OptionGroup var common: TokenizerCommonOptions

    func validate() throws {
        if (ids == nil) == (input == nil) { throw ValidationError("pass exactly one of --ids and --input") }
    }

    func run() throws {
        try TokenizerCLI.reportingErrors {
            if let out { try TokenizerCLI.checkWritable(out, force: force) }
            let loaded = try TokenizerCLI.loadTokenizer(tokenizer, threads: common.threads)
            let list = try ids.map { try Self.parseIDs($0, source: "--ids") }
                ?? Self.parseIDs(TextFile.read(input!), source: input!)
            let text = try loaded.decode(list)
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } else if !common.json {
                TokenizerCLI.writeToStandardOutput(text + "\n")
            }
            if common.json {
                print(TokenizerCLI.jsonLine([("tokens", "\(list.count)"), ("text", TokenizerCLI.jsonString(text))]))
            }
        }
    }

    static func parseIDs(_ text: String, source: String) throws -> [Int] {
        let items = text.split { $0 == "," || $0.isWhitespace }
        return try items.enumerated().map { index, item in
            guard let id = Int(item) else {
                throw TokenizerCLI.InputError("\(source): item \(index + 1) '\(item)' is not an integer token id")
            }
            return id
        }
    }
}
