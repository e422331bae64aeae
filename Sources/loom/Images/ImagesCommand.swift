import ArgumentParser

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Train and use image models on Fashion-MNIST-style data.",
        subcommands: [ClassifyTrainCommand.self, GeneratorTrainCommand.self, GeneratorSampleCommand.self, GeneratorScoreCommand.self])
}
