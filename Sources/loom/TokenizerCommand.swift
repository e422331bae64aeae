import ArgumentParser
import Foundation
import Loom

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train character, word or byte-level BPE tokenizers; encode and decode text.",
        discussion: """
            BPE tokenizers are saved as Hugging Face tokenizer.json files (GPT-2 style byte-level \
            BPE), which the Python `tokenizers` library loads. Char and word tokenizers use Loom's \
            own JSON. `encode` and `decode` also read GPT-2 vocab.json + merges.txt (pass either \
            file or their directory).
            """,
        subcommands: [TokenizerTrainCommand.self, TokenizerEncodeCommand.self, TokenizerDecodeCommand.self]
    )
}

enum TokenizerKind: String, ExpressibleByArgument, CaseIterable {
    case char, word, bpe
}

/// Flags every tokenizer verb shares.
struct TokenizerCommonOptions: ParsableArguments {
    @Flag(help: "Print the result as one JSON object on the last line of stdout.")
    var json = false

    @Option(help: "Seed for random choices (tokenizers are deterministic; accepted for uniformity).")
    var seed: UInt64 = 0

    @Option(help: "Threads for training and for encoding long texts (the default is every core).")
    var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}

/// Helpers shared by the tokenizer verbs, kept in one namespace so they cannot clash with other
/// verbs' helpers in this module.
enum TokenizerCLI {
    /// Runs a verb body, printing failures as `error: <what and where>` on stderr with a
    /// non-zero exit status.
    static func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printToStandardError("error: \(error)")
            throw ExitCode.failure
        }
    }

    static func printToStandardError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func writeToStandardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    struct InputError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Refuses to replace an existing file unless asked to.
    static func checkWritable(_ path: String, force: Bool) throws {
        if FileManager.default.fileExists(atPath: path) && !force {
            throw InputError("\(path) already exists; pass --force to overwrite it")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            throw InputError("the directory \(directory) for \(path) does not exist")
        }
    }

    /// A JSON object line with keys in the given order.
    static func jsonLine(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func jsonString(_ text: String) -> String {
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
        let array = data.flatMap { String(data: $0, encoding: .utf8) } ?? "[\"\"]"
        return String(array.dropFirst().dropLast())
    }

    static func formatSeconds(_ seconds: Double) -> String { String(format: "%.4f", seconds) }

    static func loadTokenizer(_ path: String, threads: Int) throws -> any Tokenizer {
        let tokenizer = try TokenizerFile.load(path)
        if var bpe = tokenizer as? BPETokenizer {
            bpe.threads = threads
            return bpe
        }
        return tokenizer
    }
}
