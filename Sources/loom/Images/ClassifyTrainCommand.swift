import ArgumentParser
import Foundation
import Loom

struct ClassifyTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify-train",
        abstract: "Train the convolutional image classifier (the judge that scores generated images).",
        discussion: """
        Holds out about 10% of the training images (chosen by a hash of their index) for \
        validation, saves a resumable checkpoint after every epoch and the best one by \
        validation accuracy in OUT/best, then reports accuracy on the test images. \
        Ctrl-C stops at the next step with a checkpoint; run again with --resume to continue.
        """)

    @Option(help: "Directory with the Fashion-MNIST IDX files.")
    var data = "corpora/fashion-mnist"

    @Option(help: "Checkpoint directory to write.")
    var out = "checkpoints/judge"

    @Option(help: "Passes over the training images.")
    var epochs = 8

    @Option(name: .customLong("batch-size"), help: "Images per step.")
    var batchSize = 64

    @Option(help: "Peak learning rate (AdamW, cosine decay).")
    var lr: Float = 2e-3

    @Option(help: "Use only the first N training images (and N/10 validation images): for quick trials.")
    var limit: Int?

    @Flag(help: "Continue the run saved in --out.")
    var resume = false

    @Flag(help: "Overwrite a checkpoint already in --out.")
    var force = false

    @OptionGroup var anomaly: AnomalyOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard epochs > 0 else { throw ValidationError("--epochs must be positive, got \(epochs)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive, got \(lr)") }
        if let limit { guard limit > 0 else { throw ValidationError("--limit must be positive, got \(limit)") } }
        guard !(resume && force) else { throw ValidationError("--resume and --force exclude each other") }
    }

    func run() throws {
        anomaly.apply()
        let started = Date()
        let directory = URL(fileURLWithPath: data)
        let trainSet = try FashionMNIST.load(directory: directory, split: .train)
        let testSet = try FashionMNIST.load(directory: directory, split: .test)
        let output = try prepareOutputDirectory(out, resume: resume, force: force)
        var trainIndices: [Int] = [], validationIndices: [Int] = []
        for i in 0..<trainSet.count {
            if Split.of(key: "fashion-mnist/train/\(i)") == .validation { validationIndices.append(i) } else { trainIndices.append(i) }
        }
        if let limit {
            trainIndices = Array(trainIndices.prefix(limit))
            validationIndices = Array(validationIndices.prefix(max(1, limit / 10)))
        }
        Output.info("data: \(trainIndices.count) train, \(validationIndices.count) validation, \(testSet.count) test images")

        var config = ImageClassifierConfig()
        config.classNames = FashionMNIST.classNames
        var rng = RandomGenerator(seed: common.seed)
        let model = ImageClassifier(config, using: &rng)
        var options = ImageClassifierTrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = lr
        options.seed = common.seed
        let trainer = ImageClassifierTrainer(model: model, train: ImageDataset(trainSet, indices: trainIndices),
                                             validation: ImageDataset(trainSet, indices: validationIndices), options: options)
        if resume {
            try trainer.resume(from: output)
            Output.info("resumed from \(out)")
        }
        Output.info("model: \(model.parameterCount) parameters, \(trainer.totalSteps) steps")
        Interrupt.install()
        let progress = ProgressBar(total: trainer.totalSteps, label: "train")
        var recent: [Float] = []
        try trainer.run(saveTo: output, shouldStop: { Interrupt.requested }) { event in
            switch event {
            case let .step(step, _, loss):
                recent.append(loss)
                progress.update(step, suffix: String(format: "loss %.4f", loss))
                if step % options.logEvery == 0 {
                    Output.info(String(format: "step %d: train loss %.4f", step, recent.reduce(0, +) / Float(recent.count)))
                    recent.removeAll()
                }
            case let .epoch(epoch, step, trainLoss, validationLoss, accuracy):
                Output.info(String(format: "step %d: train loss %.4f, val loss %.4f, val accuracy %.4f (epoch %d)",
                                   step, trainLoss, validationLoss, accuracy, epoch))
            }
        }
        try Checkpoint.loadModel(into: model, from: output.appendingPathComponent("best"))
        let test = ImageClassifierTrainer.evaluate(model, ImageDataset(testSet))
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "test accuracy: %.4f (best validation accuracy %.4f, %.0f s)", test.accuracy, trainer.bestAccuracy, seconds))
        if common.json {
            Output.json(["test_accuracy": test.accuracy, "test_loss": test.loss, "val_accuracy": trainer.bestAccuracy,
                         "seconds": seconds, "checkpoint": output.appendingPathComponent("best").path])
        }
    }
}
