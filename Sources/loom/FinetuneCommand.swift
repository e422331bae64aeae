import ArgumentParser
import Foundation
import Loom

extension SequencePooling: ExpressibleByArgument {}

struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune a pretrained GPT into a text classifier (label<TAB>text TSV files).",
        discussion: """
        Puts a linear head on the pretrained body's last-token (or mean) hidden state and trains \
        both with AdamW (or only the head, with --freeze-body). Texts longer than the context \
        keep their first tokens. After every epoch the accuracy on --val is measured; training \
        stops after --patience epochs without a gain and keeps the best epoch's weights. The \
        fine-tuned checkpoint in --out holds the tokenizer and the label names.

        --from-scratch trains the same network from random weights, for comparison.

        Ctrl-C (or SIGTERM) finishes the step, saves a resumable checkpoint in --out (current \
        weights, optimizer, trainer.json and the best epoch's weights so far in best.safetensors) \
        and exits with status 130; the same command plus --resume then continues the run and \
        ends with exactly the weights of a run that never stopped.
        """)

    @Option(help: "The pretrained checkpoint (a Loom GPT checkpoint or a Hugging Face GPT-2 directory).")
    var checkpoint: String

    @Option(help: "Training examples, label<TAB>text per line.")
    var train: String

    @Option(help: "Validation examples for early stopping.")
    var val: String?

    @Option(help: "Test examples: their accuracy is reported at the end.")
    var test: String?

    @Option(help: "Where to write the fine-tuned checkpoint.")
    var out = "checkpoints/classifier"

    @Option(parsing: .unconditional, help: "Passes over the training examples.") var epochs = 5
    @Option(parsing: .unconditional, help: "Peak learning rate (AdamW, cosine decay to a tenth).") var lr: Float = 3e-4
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Examples per step.") var batchSize = 16
    @Option(parsing: .unconditional, help: "Epochs without a better validation accuracy before stopping.") var patience = 2
    @Option(help: "How the hidden states become one vector: last or mean.") var pooling: SequencePooling = .last
    @Flag(name: .customLong("freeze-body"), help: "Train only the head; keep the pretrained weights fixed.") var freezeBody = false
    @Flag(name: .customLong("class-weights"), help: "Weigh classes inversely to their frequency in --train.") var classWeights = false
    @Flag(name: .customLong("from-scratch"), help: "Start the body from random weights instead of the checkpoint's.") var fromScratch = false
    @Flag(help: "Overwrite a checkpoint already in --out.") var force = false
    @Flag(help: "Continue the interrupted run saved in --out (same command and flags).") var resume = false

    @OptionGroup var anomaly: AnomalyOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive, got \(lr)") }
        guard patience > 0 else { throw ValidationError("--patience must be positive, got \(patience)") }
        guard !(resume && force) else { throw ValidationError("--resume and --force exclude each other") }
        guard !(freezeBody && fromScratch) else { throw ValidationError("--freeze-body with --from-scratch would train a head on random features") }
    }

    func run() throws {
        anomaly.apply()
        let output = URL(fileURLWithPath: out)
        let hasCheckpoint = Checkpoint.exists(in: output)
        if hasCheckpoint, !force, !resume {
            throw ValidationError("\(out) already holds a checkpoint; pass --resume to continue it or --force to overwrite it")
        }
        if resume, !hasCheckpoint { throw ValidationError("--resume: \(out) holds no checkpoint (no config.json)") }
        let body = try ClassifierCheckpoint.loadBody(from: URL(fileURLWithPath: checkpoint), randomInitialization: fromScratch,
                                                     seed: common.seed)
        let trainExamples = try LabelledText.read(path: train)
        let labelNames = Array(Set(trainExamples.map(\.label))).sorted()
        guard labelNames.count >= 2 else { throw LoomError("\(train): needs at least two labels, found \(labelNames)") }
        let context = body.encoder.contextLength
        func encode(_ path: String) throws -> LabelledSequences {
            try LabelledSequences.encode(try LabelledText.read(path: path), tokenizer: body.tokenizer, labelNames: labelNames,
                                         context: context, source: path)
        }
        let trainSet = try LabelledSequences.encode(trainExamples, tokenizer: body.tokenizer, labelNames: labelNames,
                                                    context: context, source: train)
        let validationSet = try val.map(encode)
        let testSet = try test.map(encode)
        var rng = RandomGenerator(seed: common.seed ^ 0x4EAD)
        let classifier = SequenceClassifier(body: body.encoder, labels: labelNames, pooling: pooling, using: &rng)
        if freezeBody { classifier.freezeBody() }
        var options = FinetuningOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = lr
        options.patience = patience
        options.classWeights = classWeights
        options.seed = common.seed
        let trainer = SequenceClassifierTrainer(classifier: classifier, train: trainSet, validation: validationSet, options: options)
        trainer.settings["checkpoint"] = URL(fileURLWithPath: checkpoint).standardizedFileURL.path
        trainer.settings["pooling"] = pooling.rawValue
        trainer.settings["freeze-body"] = "\(freezeBody)"
        trainer.settings["from-scratch"] = "\(fromScratch)"
        trainer.settings["labels"] = labelNames.joined(separator: ",")
        if resume {
            try trainer.resume(from: output)
            Output.info("resumed \(out) at step \(trainer.state.step) of \(trainer.stepsPerEpoch * epochs)")
        }
        Output.info("\(labelNames.count) labels, \(trainSet.count) training examples\(validationSet.map { ", \($0.count) validation" } ?? ""); "
                    + "\(classifier.trainableParameters.reduce(0) { $0 + $1.1.count }) trainable parameters"
                    + (fromScratch ? " (body from random weights)" : ""))
        Interrupt.install()
        let progress = ProgressBar(total: trainer.stepsPerEpoch * epochs, label: "finetune")
        let isTerminal = isatty(STDERR_FILENO) != 0
        func say(_ line: String) { Output.info((isTerminal ? "\r\u{1B}[K" : "") + line) }
        let started = Date()
        try trainer.run(shouldStop: { Interrupt.requested }) { event in
            switch event {
            case let .step(step, _, loss):
                progress.update(step, suffix: String(format: "loss %.4f", loss))
            case let .epoch(epoch, trainLoss, accuracy, improved):
                say(String(format: "epoch %d: train loss %.4f", epoch, trainLoss)
                    + (accuracy.map { String(format: ", val accuracy %.4f", $0) + (improved ? " (best)" : "") } ?? ""))
            case let .stoppedEarly(epoch, best):
                say("stopping after epoch \(epoch): no gain since epoch \(best)")
            }
        }
        if trainer.wasInterrupted {
            try ClassifierCheckpoint.save(classifier, body: body, to: output, resumable: trainer)
            say("interrupted: checkpoint saved in \(output.path) at step \(trainer.state.step). "
                + "Continue with the same command plus --resume.")
            throw ExitCode(130)
        }
        try ClassifierCheckpoint.save(classifier, body: body, to: output)
        var result: [String: Any] = ["checkpoint": output.path, "labels": labelNames.count,
                                     "seconds": Date().timeIntervalSince(started)]
        var line = "saved \(out)"
        if let validationSet {
            let accuracy = SequenceClassifierTrainer.accuracy(classifier, validationSet)
            result["val_accuracy"] = accuracy
            line += String(format: "; val accuracy %.4f", accuracy)
        }
        if let testSet {
            let accuracy = SequenceClassifierTrainer.accuracy(classifier, testSet)
            result["test_accuracy"] = accuracy
            line += String(format: "; test accuracy %.4f", accuracy)
        }
        print(line)
        if common.json { fflush(stdout); Output.json(result) }
    }
}
