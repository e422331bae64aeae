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
            BenchCommand.self,
        ]
    )

    /// Runs the chosen verb; errors about outside input print as `error: …` and exit 1.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as LoomError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}
