import ArgumentParser
import Foundation
import Loom

/// Output conventions shared by the text-model verbs (ngram, tfidf, embed): progress on stderr,
/// one JSON object as the last stdout line, and `error: ...` with a non-zero exit on bad input.
enum TextCommandOutput {
    static func progress(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func printJSON(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
              let line = String(data: data, encoding: .utf8) else { return }
        print(line)
    }

    /// Runs `body`, turning any thrown error into `error: <message>` on stderr and exit code 1.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            progress("error: \(error)")
            throw ExitCode.failure
        }
    }

    /// Refuses to replace an existing output unless `--force` was given.
    static func checkWritable(_ path: String, force: Bool) throws {
        if !force, FileManager.default.fileExists(atPath: path) {
            throw TextModelError("\(path) already exists (pass --force to replace it)")
        }
    }

    static func seconds(since start: Date) -> Double { (Date().timeIntervalSince(start) * 1000).rounded() / 1000 }
}

/// `--seed` and `--json`, as every verb takes them.
struct TextCommonOptions: ParsableArguments {
    @Option(help: "Seed for every random choice; the same seed gives the same result.")
    var seed: UInt64 = 0

    @Flag(help: "Print the result as one JSON object on the last line of stdout.")
    var json = false
}

extension NGramUnit: ExpressibleByArgument {}
