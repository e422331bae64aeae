import ArgumentParser
import Foundation
import Loom

extension TextClassifier.Kind: ExpressibleByArgument {}

struct TFIDFClassifyTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify-train",
        abstract: "Train a TF-IDF + linear classifier on a labelled TSV (label<TAB>text).",
        discussion: "Without --c and with --val, C is chosen from 1, 10 and 100 by validation accuracy.")

    @Option(help: "Training examples, label<TAB>text per line.") var train: String
    @Option(help: "Directory to write the classifier to.") var out: String
    @Option(help: "Validation examples (reported, and used to choose C when --c is not given).") var val: String?
    @Option(help: "logistic (multinomial, L-BFGS) or svm (one-vs-rest squared hinge).") var model: TextClassifier.Kind = .logistic
    @Option(name: .customLong("c"), help: "Inverse regularization strength, as scikit-learn's C (default 10).") var inverseRegularization: Double?
    @OptionGroup var vectorizer: TFIDFVectorizerOptions
    @Flag(help: "Replace an existing classifier.") var force = false
    @OptionGroup var common: TextCommonOptions

    func validate() throws {
        if let c = inverseRegularization, !(c > 0) { throw ValidationError("--c must be positive") }
    }

    func run() throws {
        try TextCommandOutput.run {
            try TextCommandOutput.checkWritable(out + "/model.safetensors", force: force)
            let start = Date()
            let examples = try LabelledText.read(path: train)
            let validation = try val.map { try LabelledText.read(path: $0) }
            let candidates = inverseRegularization.map { [$0] } ?? (validation == nil ? [10.0] : [1.0, 10.0, 100.0])
            var best: (classifier: TextClassifier, accuracy: Double)?
            for c in candidates {
                TextCommandOutput.progress("training \(model.rawValue) with C = \(c)")
                let classifier = try TextClassifier.train(examples: examples, kind: model, options: vectorizer.options,
                                                          inverseRegularization: c, seed: common.seed,
                                                          progress: TextCommandOutput.progress)
                let trainAccuracy = classifier.accuracy(on: examples)
                let validationAccuracy = validation.map { classifier.accuracy(on: $0) }
                TextCommandOutput.progress("C = \(c): train accuracy \(String(format: "%.4f", trainAccuracy))"
                    + (validationAccuracy.map { ", val accuracy \(String(format: "%.4f", $0))" } ?? ""))
                let score = validationAccuracy ?? trainAccuracy
                if best == nil || score > best!.accuracy { best = (classifier, score) }
            }
            let chosen = best!.classifier
            try chosen.save(to: out)
            TextCommandOutput.progress("wrote \(out) (C = \(chosen.inverseRegularization))")
            if common.json {
                var result: [String: Any] = ["model": model.rawValue, "C": chosen.inverseRegularization, "labels": chosen.labels.count,
                                             "terms": chosen.vectorizer.vocabulary.count, "examples": examples.count,
                                             "train_accuracy": chosen.accuracy(on: examples),
                                             "seconds": TextCommandOutput.seconds(since: start)]
                if let validation { result["val_accuracy"] = chosen.accuracy(on: validation) }
                TextCommandOutput.printJSON(result)
            }
        }
    }
}

struct TFIDFClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify", abstract: "Label a text, or measure accuracy on a labelled TSV.")

    @Option(help: "Classifier directory written by `loom tfidf classify-train`.") var model: String
    @Option(help: "One text to label.") var text: String?
    @Option(help: "Labelled TSV (label<TAB>text) to measure accuracy on.") var input: String?
    @OptionGroup var common: TextCommonOptions

    func validate() throws {
        guard (text == nil) != (input == nil) else { throw ValidationError("give exactly one of --text and --input") }
    }

    func run() throws {
        try TextCommandOutput.run {
            let classifier = try TextClassifier.load(from: model)
            if let text {
                let label = classifier.predict([text])[0]
                if common.json { TextCommandOutput.printJSON(["label": label]) } else { print(label) }
                return
            }
            let examples = try LabelledText.read(path: input!)
            let accuracy = classifier.accuracy(on: examples)
            if common.json {
                TextCommandOutput.printJSON(["accuracy": accuracy, "examples": examples.count])
            } else {
                print("accuracy \(String(format: "%.4f", accuracy)) on \(examples.count) examples")
            }
        }
    }
}
