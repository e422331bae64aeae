import ArgumentParser
import Loom

@main
struct LoomCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Loom: sequence models, language models and image generators in one native binary.",
        version: LoomVersion.string,
        subcommands: [
            NGramCommand.self,
            TFIDFCommand.self,
            EmbedCommand.self,
        ]
    )
}
