import ArgumentParser
import Foundation
import Loom

struct Seq2SeqTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an encoder-decoder on a `source<TAB>target` file.",
        discussion: """
        Sources are read as characters; targets as space-separated tokens when they look like \
        phone sequences (most lines hold spaces, every token is at most 4 characters), else as \
        characters. Saves a resumable checkpoint in OUT at every evaluation and the best one by \
        validation loss in OUT/best. Ctrl-C (or SIGTERM) finishes the step, saves a checkpoint \
        and exits with status 130; the same command plus --resume continues exactly where it \
        stopped. A NaN or infinite loss stops the run naming the step and the last good \
        checkpoint; --detect-anomaly then names the op that made it.
        """)

    @Option(help: "Training pairs, `source<TAB>target` per line.") var train: String
    @Option(help: "Validation pairs (default: none; the training loss picks the best model).") var val: String?
    @Option(help: "Checkpoint directory to write.") var out = "checkpoints/seq2seq"
    @Option(help: "Recurrent cell: lstm, gru or rnn.") var cell = Seq2SeqCellKind.lstm
    @Option(help: "Attention: bahdanau (additive), luong (multiplicative) or none.") var attention = AttentionKind.bahdanau
    @Flag(help: "Read the source in both directions.") var bidirectional = false
    @Option(parsing: .unconditional, help: "Training steps (batches).") var steps = 10_000
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Pairs per step.") var batchSize = 64
    @Option(parsing: .unconditional, help: "Peak learning rate (Adam, warmup then cosine decay).") var lr: Float = 2e-3
    @Option(parsing: .unconditional, help: "Hidden size of every recurrent layer.") var dim = 256
    @Option(name: .customLong("embedding-dim"), parsing: .unconditional, help: "Token embedding size.") var embeddingDim = 128
    @Option(parsing: .unconditional, help: "Recurrent layers in the encoder and in the decoder.") var layers = 1
    @Option(parsing: .unconditional, help: "Dropout probability.") var dropout: Float = 0.2
    @Option(name: .customLong("scheduled-sampling"), parsing: .unconditional, help: "Final probability of feeding the model's own prediction (rises linearly from 0).")
    var scheduledSampling: Float = 0
    @Option(name: .customLong("eval-every"), parsing: .unconditional, help: "Steps between validation and checkpoint.") var evalEvery = 1000
    @Flag(help: "Continue the run saved in --out.") var resume = false
    @Flag(help: "Overwrite a checkpoint already in --out.") var force = false
    @OptionGroup var anomaly: AnomalyOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive, got \(lr)") }
        guard dim > 0, embeddingDim > 0 else { throw ValidationError("--dim and --embedding-dim must be positive") }
        guard layers > 0 else { throw ValidationError("--layers must be positive, got \(layers)") }
        guard dropout >= 0, dropout < 1 else { throw ValidationError("--dropout must lie in [0, 1), got \(dropout)") }
        guard scheduledSampling >= 0, scheduledSampling <= 1 else { throw ValidationError("--scheduled-sampling must lie in [0, 1]") }
        guard evalEvery > 0 else { throw ValidationError("--eval-every must be positive") }
        guard !(resume && force) else { throw ValidationError("--resume and --force exclude each other") }
    }

    func run() throws {
        anomaly.apply()
        let started = Date()
        let trainRows = try Seq2SeqDataset.read(train)
        let validationRows = try val.map(Seq2SeqDataset.read)
        let output = try prepareOutputDirectory(out, resume: resume, force: force)
        let vocabularies: Seq2SeqVocabularies
        var config: Seq2SeqConfig
        if resume {
            vocabularies = try Seq2SeqVocabularies.load(from: output)
            config = try Checkpoint.readConfig(Seq2SeqConfig.self, from: output)
        } else {
            vocabularies = Seq2SeqVocabularies(
                source: .build(trainRows.map(\.first), unit: .characters),
                target: .build(trainRows.map(\.second), unit: Seq2SeqDataset.guessTargetUnit(trainRows)))
            config = Seq2SeqConfig()
            config.sourceVocabularySize = vocabularies.source.count
            config.targetVocabularySize = vocabularies.target.count
            config.embeddingDimension = embeddingDim
            config.hiddenDimension = dim
            config.layers = layers
            config.cell = cell
            config.attention = attention
            config.bidirectional = bidirectional
            config.dropout = dropout
        }
        var rng = RandomGenerator(seed: common.seed)
        let model = Seq2SeqModel(config, using: &rng)
        var options = Seq2SeqTrainingOptions()
        options.steps = steps
        options.batchSize = batchSize
        options.learningRate = lr
        options.evaluateEvery = evalEvery
        options.samplingProbability = scheduledSampling
        options.seed = common.seed
        let trainer = Seq2SeqTrainer(
            model: model, vocabularies: vocabularies,
            train: Seq2SeqDataset(rows: trainRows, vocabularies: vocabularies, maximumLength: 100),
            validation: validationRows.map { Seq2SeqDataset(rows: $0, vocabularies: vocabularies, maximumLength: 100) },
            options: options)
        if resume {
            try trainer.resume(from: output)
            Output.info("resumed from \(out) at step \(trainer.step)")
        }
        Output.info("data: \(trainRows.count) train pairs\(validationRows.map { ", \($0.count) validation pairs" } ?? ""); vocabularies: \(vocabularies.source.count) source, \(vocabularies.target.count) target tokens (\(vocabularies.target.unit.rawValue))")
        Output.info("model: \(config.cell.rawValue)\(config.bidirectional ? " bidirectional" : ""), attention \(config.attention.rawValue), \(model.parameterCount) parameters, \(steps) steps")
        Interrupt.install()
        let progress = ProgressBar(total: steps, label: "train")
        var recent: [Float] = []
        var lastTime = Date()
        var firstStep: (step: Int, time: Date)?
        var lastStep: (step: Int, time: Date)?
        try trainer.run(saveTo: output, shouldStop: { Interrupt.requested }) { event in
            switch event {
            case let .step(step, _, loss):
                if firstStep == nil { firstStep = (step, Date()) } else { lastStep = (step, Date()) }
                recent.append(loss)
                progress.update(step, suffix: String(format: "loss %.4f", loss))
                if step % 100 == 0 {
                    let ms = Date().timeIntervalSince(lastTime) * 1000 / Double(recent.count)
                    Output.info(String(format: "iter %d: loss %.4f, time %.0fms", step, recent.reduce(0, +) / Float(recent.count), ms))
                    recent.removeAll()
                    lastTime = Date()
                }
            case let .evaluation(step, trainLoss, validationLoss):
                Output.info(String(format: "step %d: train loss %.4f, val loss %.4f", step, trainLoss, validationLoss))
            }
        }
        let seconds = Date().timeIntervalSince(started)
        // Steps per second over the training steps alone (after the first, which warms caches), evaluations included.
        var stepsPerSecond = 0.0
        if let first = firstStep, let last = lastStep, last.step > first.step {
            stepsPerSecond = Double(last.step - first.step) / last.time.timeIntervalSince(first.time)
        }
        let best = output.appendingPathComponent("best")
        print(String(format: "trained %d steps in %.0f s; best val loss %.4f; checkpoint %@", trainer.step, seconds,
                     trainer.bestValidationLoss ?? .nan, best.path))
        if common.json {
            Output.json(["steps": trainer.step, "seconds": seconds, "best_val_loss": Double(trainer.bestValidationLoss ?? .nan),
                         "checkpoint": best.path, "steps_per_second": stepsPerSecond])
        }
    }
}
