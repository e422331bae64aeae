import ArgumentParser
import Foundation
import Loom

extension RecurrentPooling: ExpressibleByArgument {}

enum Seq2VecCell: String, ExpressibleByArgument, CaseIterable {
    case lstm, gru, rnn
    var kind: RecurrentCellKind { self == .lstm ? .lstm : self == .gru ? .gru : .rnnTanh }
}

/// Trains a character-level recurrent classifier from scratch on a labelled TSV.
struct Seq2VecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seq2vec",
        abstract: "Train a recurrent text classifier (characters → (bi)LSTM/GRU/RNN → pooling → labels).",
        discussion: """
        Reads `label<TAB>text` lines. Texts are cut to --max-length characters. Prints the loss \
        every 50 steps, the accuracy on --val after each run and on --test at the end, and saves \
        the model to --out (config.json with labels and characters, model.safetensors).
        """)

    @Option(help: "Training TSV (label<TAB>text).") var train: String
    @Option(help: "Validation TSV.") var val: String?
    @Option(help: "Test TSV, scored at the end.") var test: String?
    @Option(help: "Checkpoint directory to write.") var out = "checkpoints/seq2vec"
    @Option(help: "Cell: lstm, gru or rnn.") var cell: Seq2VecCell = .lstm
    @Option(help: "Pooling over real tokens: last, mean or max.") var pooling: RecurrentPooling = .max
    @Flag(inversion: .prefixedNo, help: "Read the text in both directions.") var bidirectional = true
    @Option(help: "Hidden units per direction.") var hidden = 64
    @Option(name: .customLong("embedding-dim"), help: "Character embedding width.") var embeddingDim = 32
    @Option(help: "Recurrent layers.") var layers = 1
    @Option(name: .customLong("max-length"), help: "Characters read from each text.") var maxLength = 128
    @Option(help: "Passes over the training set.") var epochs = 2
    @Option(name: .customLong("batch-size"), help: "Texts per step.") var batchSize = 64
    @Option(help: "Adam learning rate.") var lr: Float = 3e-3
    @Flag(help: "Overwrite a checkpoint already in --out.") var force = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        for (flag, value) in [("--hidden", hidden), ("--embedding-dim", embeddingDim), ("--layers", layers),
                              ("--max-length", maxLength), ("--epochs", epochs), ("--batch-size", batchSize)] where value <= 0 {
            throw ValidationError("\(flag) must be positive, got \(value)")
        }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive, got \(lr)") }
    }

    private func read(_ path: String) throws -> (texts: [String], labels: [String]) {
        let rows = try TSV.read(URL(fileURLWithPath: path))
        guard !rows.isEmpty else { throw LoomError("\(path): no examples") }
        return (rows.map(\.second), rows.map(\.first))
    }

    func run() throws {
        let output = try prepareOutputDirectory(out, resume: false, force: force)
        let training = try read(train)
        let labelNames = Array(Set(training.labels)).sorted()
        guard labelNames.count >= 2 else { throw LoomError("\(train): needs at least two labels, found \(labelNames)") }
        let labelIndex = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($1, $0) })
        let characters = RecurrentClassifierTraining.characters(of: training.texts, maxLength: maxLength)
        let config = RecurrentClassifierConfig(
            cell: cell.kind, vocabularySize: characters.count + 1, embeddingWidth: embeddingDim, hiddenWidth: hidden,
            layers: layers, bidirectional: bidirectional, pooling: pooling, labels: labelNames,
            characters: characters, maxLength: maxLength)
        var rng = RandomGenerator(seed: common.seed)
        let model = RecurrentClassifier(config, using: &rng)
        Output.info("\(training.texts.count) texts, \(labelNames.count) labels, \(characters.count) characters; "
                    + "\(model.parameterCount) parameters")
        var trainer = RecurrentClassifierTraining()
        trainer.epochs = epochs
        trainer.batchSize = batchSize
        trainer.learningRate = lr
        trainer.seed = common.seed
        let start = Date()
        trainer.train(model, texts: training.texts, labels: training.labels.map { labelIndex[$0]! }) { epoch, step, loss in
            Output.info(String(format: "epoch %d, step %d: train loss %.4f", epoch, step, loss))
        }
        let seconds = Date().timeIntervalSince(start)
        try Checkpoint.save(module: model, config: config, to: output)
        var result: [String: Any] = ["checkpoint": output.path, "seconds": seconds]
        for (name, path) in [("val", val), ("test", test)] {
            guard let path else { continue }
            let data = try read(path)
            let predicted = RecurrentClassifierTraining.predict(model, texts: data.texts)
            let correct = zip(predicted, data.labels).filter { labelNames[$0.0] == $0.1 }.count
            let accuracy = Double(correct) / Double(data.texts.count)
            print(String(format: "%@ accuracy %.4f (%d of %d)", name, accuracy, correct, data.texts.count))
            result["\(name)_accuracy"] = accuracy
            result["\(name)_examples"] = data.texts.count
        }
        if common.json { Output.json(result) }
    }
}
