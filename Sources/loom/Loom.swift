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
            ImagesCommand.self,
            BenchCommand.self,
            TokenizerCommand.self,
            NGramCommand.self,
            TFIDFCommand.self,
            EmbedCommand.self,
            PretrainCommand.self,
            FinetuneCommand.self,
            ClassifyCommand.self,
            GenerateCommand.self,
            EvalCommand.self,
        ]
    )

    /// Runs the chosen verb. Flag errors are reported by the argument parser (with usage);
    /// any other error is about outside input and prints as `error: …`, exiting 1.
    static func main() {
        var command: ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            try command.run()
        } catch let error as ValidationError {
            exit(withError: error)
        } catch let error as CleanExit {
            exit(withError: error)
        } catch let error as ExitCode {
            exit(withError: error)
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }
}
