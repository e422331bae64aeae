import ArgumentParser
import Foundation
import Loom

@main
struct LoomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Loom: sequence models, language models and image generators in one native binary.",
        version: LoomVersion.string,
        subcommands: [
            CorporaCommand.self,
            TokenizerCommand.self,
            NGramCommand.self,
            TFIDFCommand.self,
            EmbedCommand.self,
            PretrainCommand.self,
            GenerateCommand.self,
            EvalCommand.self,
            FinetuneCommand.self,
            ClassifyCommand.self,
            Seq2VecCommand.self,
            Seq2SeqCommand.self,
            ImagesCommand.self,
            BenchCommand.self,
        ]
    )

    /// Runs the chosen verb. Flag errors are reported by the argument parser (with usage);
    /// any other error is about outside input and prints as `error: …`, exiting 1.
    static func main() {
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { reportParserError(error) }
        do {
            try command.run()
        } catch let interrupted as TrainingInterrupted {
            FileHandle.standardError.write(Data("\(interrupted)\n".utf8))
            Foundation.exit(130)
        } catch let refused as ValidationError {
            // Raised while running (a flag that clashes with what is on disk): the message
            // says what to pass instead, so the root command's usage would only distract.
            FileHandle.standardError.write(Data("error: \(refused.message)\n".utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch {
            // The argument parser's own errors (help, usage, validation) keep its formatting.
            if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { reportParserError(error) }
            let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }

    /// Help and version go to stdout; usage errors to stderr as `error: …` with the usage line.
    static func reportParserError(_ error: Error) -> Never {
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if code == .success {
            print(message)
            Foundation.exit(0)
        }
        let text = message.hasPrefix("Error: ") ? "error: " + message.dropFirst(7) : message
        FileHandle.standardError.write(Data((text + "\n").utf8))
        Foundation.exit(code.rawValue)
    }
}
