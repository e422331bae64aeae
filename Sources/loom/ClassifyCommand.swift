import ArgumentParser
import Foundation
import Loom

struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Label texts with a classifier made by `loom finetune`.",
        discussion: """
        With --text, prints the label. With --input (label<TAB>text lines), prints the \
        accuracy; --json then gives {"accuracy":..,"examples":..}.
        """)

    @Option(help: "The checkpoint directory written by `loom finetune`.")
    var checkpoint: String

    @Option(help: "One text to label.")
    var text: String?

    @Option(help: "A label<TAB>text file; prints the accuracy on it.")
    var input: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard (text == nil) != (input == nil) else { throw ValidationError("give exactly one of --text and --input") }
        if let text, text.isEmpty { throw ValidationError("--text is empty") }
    }

    func run() throws {
        let (classifier, tokenizer) = try ClassifierCheckpoint.load(from: URL(fileURLWithPath: checkpoint))
        let context = classifier.contextLength
        if let text {
            var ids = try tokenizer.encode(text).prefix(context).map { Int32(truncatingIfNeeded: $0) }
            if ids.isEmpty { ids = [0] }
            let probabilities = classifier.probabilities(ids)
            let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
            print(classifier.labels[best])
            if common.json {
                fflush(stdout); Output.json(["label": classifier.labels[best],
                             "probabilities": Dictionary(uniqueKeysWithValues: zip(classifier.labels, probabilities.map(Double.init)))])
            }
            return
        }
        let path = input!
        let data = try LabelledSequences.encode(try LabelledText.read(path: path), tokenizer: tokenizer,
                                                labelNames: classifier.labels, context: context, source: path)
        let accuracy = SequenceClassifierTrainer.accuracy(classifier, data)
        print(String(format: "accuracy %.4f on %d examples", accuracy, data.count))
        if common.json { fflush(stdout); Output.json(["accuracy": accuracy, "examples": data.count]) }
    }
}
