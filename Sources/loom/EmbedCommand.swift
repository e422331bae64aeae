import ArgumentParser
import Foundation
import Loom

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "word2vec word embeddings (skip-gram, negative sampling).",
        subcommands: [EmbedTrainCommand.self, EmbedNeighborsCommand.self]
    )
}

struct EmbedTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train word2vec on a corpus (one sentence per line; words split on whitespace).")

    @Option(help: "Training text, one sentence per line.") var corpus: String
    @Option(help: "Directory to write embeddings.safetensors, vocab.txt and config.json to.") var out: String
    @Option(help: "Vector size.") var dim = 100
    @Option(help: "Largest distance between a word and its context words.") var window = 5
    @Option(help: "Passes over the corpus.") var epochs = 5
    @Option(help: "Ignore words seen fewer times than this.") var minCount = 5
    @Option(help: "Noise words per context word.") var negatives = 5
    @Option(help: "Starting learning rate (falls linearly).") var lr = 0.025
    @Option(help: "Subsampling threshold for frequent words (0 turns it off).") var sample = 1e-3
    @Flag(help: "Lower-case words and trim punctuation from their ends.") var normalize = false
    @Flag(help: "Replace existing embeddings.") var force = false
    @OptionGroup var common: TextCommonOptions

    func validate() throws {
        for (name, value) in [("--dim", dim), ("--window", window), ("--epochs", epochs), ("--min-count", minCount), ("--negatives", negatives)]
        where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard lr > 0, sample >= 0 else { throw ValidationError("--lr must be positive and --sample not negative") }
    }

    func run() throws {
        try TextCommandOutput.run {
            try TextCommandOutput.checkWritable(out + "/embeddings.safetensors", force: force)
            let start = Date()
            var options = Word2Vec.Options()
            options.dimension = dim
            options.window = window
            options.epochs = epochs
            options.minimumCount = minCount
            options.negatives = negatives
            options.learningRate = lr
            options.subsampling = sample
            options.normalizeTokens = normalize
            options.seed = common.seed
            let lines = TextModelFiles.lines(try TextModelFiles.readText(corpus))
            let (embeddings, report) = try Word2Vec.train(lines: lines, options: options, progress: TextCommandOutput.progress)
            try embeddings.save(to: out)
            TextCommandOutput.progress("wrote \(out)")
            if common.json {
                TextCommandOutput.printJSON(["words": embeddings.words.count, "dimension": dim, "tokens": report.trainingWords,
                                             "epoch_losses": report.epochLosses, "seconds": TextCommandOutput.seconds(since: start)])
            }
        }
    }
}

struct EmbedNeighborsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neighbors", abstract: "The words nearest (cosine) to a word.")

    @Option(help: "Directory written by `loom embed train`.") var model: String
    @Option(help: "The word to look up.") var word: String
    @Option(help: "How many neighbours.") var top = 10
    @OptionGroup var common: TextCommonOptions

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        try TextCommandOutput.run {
            let embeddings = try WordEmbeddings.load(from: model)
            let neighbors = try embeddings.neighbors(of: word, top: top)
            if common.json {
                TextCommandOutput.printJSON(["word": word, "neighbors": neighbors.map { ["word": $0.word, "similarity": Double($0.similarity)] }])
            } else {
                for neighbor in neighbors { print(String(format: "%.4f  ", Double(neighbor.similarity)) + neighbor.word) }
            }
        }
    }
}
