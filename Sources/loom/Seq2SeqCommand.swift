import ArgumentParser
import Loom

struct Seq2SeqCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seq2seq",
        abstract: "Encoder-decoder models with attention: train, translate, evaluate.",
        subcommands: [Seq2SeqTrainCommand.self, Seq2SeqTranslateCommand.self, Seq2SeqEvalCommand.self])
}

extension Seq2SeqCellKind: ExpressibleByArgument {}
extension AttentionKind: ExpressibleByArgument {}
