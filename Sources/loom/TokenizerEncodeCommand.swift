import ArgumentParser
import Foundation
import Loom

struct TokenizerEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Turn text into token ids, printed space-separated on one line."
    )

    @Option(help: "A tokenizer file: Loom JSON, tokenizer.json, or GPT-2 vocab.json (+ merges.txt beside it).")
    var tokenizer: String

    @Option(help: "The text to encode.")
    var text: String?

    @Option(help: "A UTF-8 file to encode.")
    var input: String?

    @Flag(help: "Replace invalid UTF-8 in --input with U+FFFD instead of stopping.")
    var lossy = false

    @Option(help: "Write the ids to this file instead of stdout.")
    var out: String?

    @Flag(help: "Overwrite --out if it exists.")
    var force = false

    @OptionGroup var common: TokenizerCommonOptions

    func validate() throws {
        if (text == nil) == (input == nil) { throw ValidationError("pass exactly one of --text and --input") }
    }

    func run() throws {
        try TokenizerCLI.reportingErrors {
            if let out { try TokenizerCLI.checkWritable(out, force: force) }
            let loaded = try TokenizerCLI.loadTokenizer(tokenizer, threads: common.threads)
            let source = try text ?? TextFile.read(input!, lossy: lossy)
            let started = Date()
            let ids = try loaded.encode(source)
            let seconds = Date().timeIntervalSince(started)
            let line = Self.idLine(ids)
            if let out {
                try line.write(to: URL(fileURLWithPath: out), options: .atomic)
            } else if !common.json {
                FileHandle.standardOutput.write(line)
            }
            let bytes = source.utf8.count
            TokenizerCLI.printToStandardError("encoded \(bytes) bytes into \(ids.count) tokens in \(TokenizerCLI.formatSeconds(seconds)) s")
            if common.json {
                var fields = [("tokens", "\(ids.count)"), ("bytes", "\(bytes)"), ("seconds", TokenizerCLI.formatSeconds(seconds)),
                              ("megabytes_per_second", String(format: "%.3f", Double(bytes) / 1e6 / max(seconds, 1e-9))),
                              ("threads", "\(common.threads)")]
                if out == nil { fields.append(("ids", "[" + ids.map(String.init).joined(separator: ", ") + "]")) }
                print(TokenizerCLI.jsonLine(fields))
            }
        }
    }

    /// The ids in decimal, space-separated, with a final newline.
    static func idLine(_ ids: [Int]) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 6 + 1)
        var digits = [UInt8](repeating: 0, count: 20)
        for (index, id) in ids.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: " ")) }
            if id < 0 { bytes.append(UInt8(ascii: "-")) }
            var value = id.magnitude
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                count += 1
            } while value > 0
            for digit in digits[..<count].reversed() { bytes.append(digit) }
        }
        bytes.append(UInt8(ascii: "\n"))
        return Data(bytes)
    }
}
