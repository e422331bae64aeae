import ArgumentParser
import Foundation
import Loom

enum PretrainModel: String, ExpressibleByArgument, CaseIterable {
    case gpt, bigram, lstm, gru, rnn
}

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain a language model on a text corpus (next-token prediction).",
        discussion: """
        The corpus is encoded once; its last 10% of tokens is the validation set. Each step \
        draws --batch-size random windows of --context tokens. AdamW (β = 0.9, 0.99; weight \
        decay on matrices only), linear warmup then cosine decay to --min-lr, gradient \
        clipping. Logs `iter N: loss X, time Yms` and `step N: train loss X, val loss Y`; \
        writes metrics.jsonl and loss.svg beside the checkpoint in --out.

        The defaults are nanoGPT's CPU "baby GPT": 4 layers, 4 heads, 128 wide, context 64, \
        batch 12, lr 1e-3 → 1e-4 over 2000 steps, 100 warmup steps, dropout 0.

        Ctrl-C (or SIGTERM) finishes the step, saves a checkpoint and exits with status 130; the \
        same command plus --resume then continues the run exactly as if it had never stopped \
        (--steps may be raised). A checkpoint is replaced as a whole, so even kill -9 leaves the \
        last complete one. A loss or gradient that becomes NaN or infinite stops the run with the \
        step and the last good checkpoint; --detect-anomaly then names the op that made it.
        """)

    @Option(help: "Model: gpt, lstm, gru, rnn, or bigram (a one-table model for quick checks).")
    var model: PretrainModel = .gpt

    @Option(help: "The training text (UTF-8).")
    var corpus: String

    @Option(help: "Checkpoint directory to write.")
    var out = "checkpoints/gpt"

    @Option(help: "char, bpe (byte-level BPE trained on the corpus), or a tokenizer.json to use.")
    var tokenizer = "char"

    @Option(name: .customLong("vocab-size"), parsing: .unconditional, help: "Vocabulary size for --tokenizer bpe (default 1024).")
    var vocabSize: Int?

    @Option(parsing: .unconditional, help: "Context length in tokens (default 64).") var context: Int?
    @Option(parsing: .unconditional, help: "Transformer blocks (default 4).") var layers: Int?
    @Option(parsing: .unconditional, help: "Attention heads (default 4).") var heads: Int?
    @Option(parsing: .unconditional, help: "Embedding width (default 128).") var dim: Int?
    @Option(parsing: .unconditional, help: "Dropout probability (default 0).") var dropout: Float?
    @Option(name: .customLong("embedding-dim"), parsing: .unconditional, help: "Token embedding width of lstm/gru/rnn models (default 64; --dim is their hidden width, default 256).")
    var embeddingDim: Int?
    @Flag(help: "Biases in linear layers and layer norms (nanoGPT's default is without).") var bias = false

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Windows per micro-batch (default 12).") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Optimizer steps in all (default 2000).") var steps: Int?
    @Option(parsing: .unconditional, help: "Peak learning rate (default 1e-3).") var lr: Float?
    @Option(name: .customLong("min-lr"), parsing: .unconditional, help: "Learning rate at the end of the cosine (default 1e-4).") var minLr: Float?
    @Option(parsing: .unconditional, help: "Linear warmup steps (default 100).") var warmup: Int?
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "AdamW decay of matrices (default 0.1).") var weightDecay: Float?
    @Option(name: .customLong("grad-clip"), parsing: .unconditional, help: "Largest gradient norm, 0 for none (default 1.0).") var gradClip: Float?
    @Option(name: .customLong("grad-accum"), parsing: .unconditional, help: "Micro-batches per step (default 1).") var gradAccum: Int?
    @Option(name: .customLong("eval-every"), parsing: .unconditional, help: "Evaluate every N steps, 0 only at the end (default 250).") var evalEvery: Int?
    @Option(name: .customLong("eval-batches"), parsing: .unconditional, help: "Batches per evaluation (default 20; 200 at the end).") var evalBatches: Int?
    @Option(name: .customLong("final-eval-batches"), parsing: .unconditional, help: "Batches for the last evaluation (default 200).") var finalEvalBatches: Int?
    @Option(name: .customLong("save-every"), parsing: .unconditional, help: "Save every N steps, 0 only at the end (default 500).") var saveEvery: Int?
    @Option(name: .customLong("sample-every"), parsing: .unconditional, help: "Print a sample every N steps, 0 never (default 500).") var sampleEvery: Int?
    @Option(name: .customLong("sample-tokens"), parsing: .unconditional, help: "Tokens per sample (default 200).") var sampleTokens: Int?
    @Option(name: .customLong("log-every"), parsing: .unconditional, help: "Print an iter line every N steps (default 10).") var logEvery: Int?

    @Option(name: .customLong("time-limit"), parsing: .unconditional, help: "Stop after this many seconds of training (final evaluation and checkpoint; resumable).")
    var timeLimit: Double?

    @Flag(help: "Replace invalid UTF-8 in the corpus with U+FFFD instead of stopping.") var lossy = false
    @Flag(help: "Continue the run saved in --out.") var resume = false
    @Flag(help: "Overwrite a checkpoint already in --out.") var force = false

    @OptionGroup var anomaly: AnomalyOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        for (flag, value) in [("--context", context), ("--layers", layers), ("--heads", heads), ("--dim", dim),
                              ("--vocab-size", vocabSize), ("--embedding-dim", embeddingDim)] {
            if let value, value <= 0 { throw ValidationError("\(flag) must be positive, got \(value)") }
        }
        if let heads, let dim, dim % heads != 0 { throw ValidationError("--dim \(dim) must be a multiple of --heads \(heads)") }
        if let dropout, !(dropout >= 0 && dropout < 1) { throw ValidationError("--dropout must lie in [0, 1), got \(dropout)") }
        if let vocabSize, tokenizer == "bpe", vocabSize < 257 {
            throw ValidationError("--vocab-size for bpe must exceed the 256 byte tokens, got \(vocabSize)")
        }
        guard !(resume && force) else { throw ValidationError("--resume and --force exclude each other") }
        if let timeLimit, !(timeLimit > 0) { throw ValidationError("--time-limit must be positive, got \(timeLimit)") }
        do { try trainingOptions(base: PretrainingOptions()).validate() } catch let error as LoomError {
            throw ValidationError(error.message)
        }
    }

    /// `base` (the defaults, or a resumed run's settings) with the flags given applied.
    func trainingOptions(base: PretrainingOptions) -> PretrainingOptions {
        var o = base
        if let batchSize { o.batchSize = batchSize }
        if let steps { o.steps = steps }
        if let lr { o.learningRate = lr }
        if let minLr { o.minimumLearningRate = minLr }
        if let warmup { o.warmupSteps = warmup }
        if let weightDecay { o.weightDecay = weightDecay }
        if let gradClip { o.gradientClip = gradClip }
        if let gradAccum { o.gradientAccumulation = gradAccum }
        if let evalEvery { o.evalEvery = evalEvery }
        if let evalBatches { o.evalBatches = evalBatches }
        if let finalEvalBatches { o.finalEvalBatches = finalEvalBatches }
        if let saveEvery { o.saveEvery = saveEvery }
        if let sampleEvery { o.sampleEvery = sampleEvery }
        if let logEvery { o.logEvery = logEvery }
        if let sampleTokens { o.sampleTokens = sampleTokens }
        if !resume { o.seed = common.seed }
        // A resumed run keeps its cosine length even when --steps grows or shrinks.
        if resume { o.decaySteps = base.scheduleDecaySteps }
        // A short run without --warmup warms up over its first tenth instead of 100 steps.
        if warmup == nil, o.warmupSteps >= o.scheduleDecaySteps { o.warmupSteps = o.scheduleDecaySteps / 10 }
        return o
    }

    func run() throws {
        anomaly.apply()
        let output = URL(fileURLWithPath: out)
        let hasCheckpoint = Checkpoint.exists(in: output)
        if hasCheckpoint && !resume && !force {
            throw ValidationError("\(out) already holds a checkpoint; pass --resume to continue it or --force to overwrite it")
        }
        if resume && !hasCheckpoint { throw ValidationError("--resume: \(out) holds no checkpoint (no config.json)") }

        let text = try TextFile.read(corpus, lossy: lossy)
        guard !text.isEmpty else { throw LoomError("\(corpus): the corpus is empty") }
        let tokens = try makeTokenizer(text, output: output)
        let encoded = try TokenData.encode(text, with: tokens)
        var options = PretrainingOptions()
        if resume {
            let saved = try Pretrainer<GPTConfig>.savedOptions(in: output) ?? options
            if common.seed != 1, common.seed != saved.seed {
                throw LoomError("--resume: --seed \(common.seed) differs from the run saved in \(out) (\(saved.seed))")
            }
            options = trainingOptions(base: saved)
        } else {
            options = trainingOptions(base: options)
        }
        try options.validate()
        Output.info("corpus: \(corpus), \(text.utf8.count) bytes, \(encoded.count) tokens; tokenizer: \(tokens.vocabSize) tokens")
        switch model {
        case .gpt:
            let config = try gptConfig(vocabularySize: tokens.vocabSize, output: output)
            var rng = RandomGenerator(seed: options.seed)
            let network = GPT(config: config, using: &rng)
            try train(network, config: config, tokenizer: tokens, tokens: encoded, options: options, output: output)
        case .lstm, .gru, .rnn:
            let config = try recurrentConfig(vocabularySize: tokens.vocabSize, output: output)
            var rng = RandomGenerator(seed: options.seed)
            let network = RecurrentLanguageModel(config, using: &rng)
            try train(network, config: config, tokenizer: tokens, tokens: encoded, options: options, output: output)
        case .bigram:
            let config = try bigramConfig(vocabularySize: tokens.vocabSize, output: output)
            var rng = RandomGenerator(seed: options.seed)
            let network = BigramLanguageModel(config, using: &rng)
            try train(network, config: config, tokenizer: tokens, tokens: encoded, options: options, output: output)
        }
    }

    private func makeTokenizer(_ text: String, output: URL) throws -> any Tokenizer {
        if resume { return try TokenizerFile.load(output.appendingPathComponent("tokenizer.json").path) }
        switch tokenizer {
        case "char":
            return try CharTokenizer.train(text, source: corpus)
        case "bpe":
            Output.info("training a byte-level BPE tokenizer of \(vocabSize ?? 1024) tokens on \(corpus)")
            return try BPETrainer(vocabSize: vocabSize ?? 1024).train(text, source: corpus)
        default:
            return try TokenizerFile.load(tokenizer)
        }
    }

    private func gptConfig(vocabularySize: Int, output: URL) throws -> GPTConfig {
        if resume {
            let saved = try Checkpoint.readConfig(GPTConfig.self, from: output)
            try requireSame([("--context", context, saved.contextLength), ("--layers", layers, saved.layers),
                             ("--heads", heads, saved.heads), ("--dim", dim, saved.width)])
            if let dropout, dropout != saved.dropout {
                throw LoomError("--resume: --dropout \(dropout) differs from the checkpoint's dropout \(saved.dropout) in \(out)/config.json")
            }
            return saved
        }
        let config = GPTConfig(vocabularySize: vocabularySize, contextLength: context ?? 64, layers: layers ?? 4,
                               heads: heads ?? 4, width: dim ?? 128, dropout: dropout ?? 0, bias: bias)
        guard config.width % config.heads == 0 else {
            throw ValidationError("--dim \(config.width) must be a multiple of --heads \(config.heads)")
        }
        return config
    }

    private func recurrentConfig(vocabularySize: Int, output: URL) throws -> RecurrentLMConfig {
        if resume {
            let saved = try Checkpoint.readConfig(RecurrentLMConfig.self, from: output)
            try requireSame([("--context", context, saved.contextLength), ("--layers", layers, saved.layers),
                             ("--dim", dim, saved.hiddenWidth), ("--embedding-dim", embeddingDim, saved.embeddingWidth)])
            return saved
        }
        let cell: RecurrentCellKind = model == .lstm ? .lstm : model == .gru ? .gru : .rnnTanh
        return RecurrentLMConfig(cell: cell, vocabularySize: vocabularySize, contextLength: context ?? 64,
                                 embeddingWidth: embeddingDim ?? 64, hiddenWidth: dim ?? 256, layers: layers ?? 2,
                                 dropout: dropout ?? 0)
    }

    private func bigramConfig(vocabularySize: Int, output: URL) throws -> BigramConfig {
        if resume {
            let saved = try Checkpoint.readConfig(BigramConfig.self, from: output)
            try requireSame([("--context", context, saved.contextLength)])
            return saved
        }
        return BigramConfig(vocabularySize: vocabularySize, contextLength: context ?? 64)
    }

    /// On resume, a model flag that was given must equal the checkpoint's value.
    private func requireSame(_ flags: [(String, Int?, Int)]) throws {
        for (flag, given, saved) in flags {
            if let given, given != saved {
                throw LoomError("--resume: \(flag) \(given) differs from the checkpoint's \(saved) in \(out)/config.json; "
                                + "a resumed run keeps its model configuration (start a new run with --force to change it)")
            }
        }
    }

    private func train<Config: ModelConfiguration & Equatable>(
        _ network: any LanguageModel, config: Config, tokenizer: any Tokenizer, tokens: [Int32],
        options: PretrainingOptions, output: URL
    ) throws {
        let data = try TokenData.split(tokens, context: network.contextLength, source: corpus)
        let trainer = try Pretrainer(model: network, config: config, tokenizer: tokenizer, data: data, options: options)
        if resume {
            try trainer.resume(from: output)
            Output.info("resumed \(out) at step \(trainer.state.step) of \(options.steps)")
        } else {
            _ = try prepareOutputDirectory(out, resume: false, force: force)
        }
        Output.info("model: \(model.rawValue), \(network.parameterCount) parameters; data: \(data.train.count) train, "
                    + "\(data.validation.count) val tokens; \(trainer.tokensPerStep) tokens per step")
        try PretrainReporter(trainer: trainer, options: options, command: self).run(output: output)
    }
}

/// Prints a pretraining run's progress: a progress bar with tokens/s and ETA, nanoGPT's log
/// lines and samples on stderr; the result on stdout (and as JSON with --json).
private struct PretrainReporter<Config: ModelConfiguration & Equatable> {
    let trainer: Pretrainer<Config>
    let options: PretrainingOptions
    let command: PretrainCommand

    func run(output: URL) throws {
        Interrupt.install()
        let first = trainer.state.step
        let progress = ProgressBar(total: options.steps - first, label: "pretrain")
        let isTerminal = isatty(STDERR_FILENO) != 0
        func say(_ line: String) { Output.info((isTerminal ? "\r\u{1B}[K" : "") + line) }
        let summary: PretrainingSummary
        do {
            summary = try trainer.run(saveTo: output, deadline: command.timeLimit.map { Date().addingTimeInterval($0) },
                                      shouldStop: { Interrupt.requested }) { event in
                switch event {
                case let .step(step, loss, _, _, milliseconds, rate):
                    if options.logEvery > 0, step % options.logEvery == 0 {
                        say(String(format: "iter %d: loss %.4f, time %.2fms, %.0f tokens/s", step, loss, milliseconds, rate))
                    }
                    progress.update(step - first, suffix: String(format: "loss %.4f, %.0f tokens/s", loss, rate))
                case let .evaluation(step, train, validation):
                    say(String(format: "step %d: train loss %.4f, val loss %.4f", step, train, validation))
                case let .sample(step, text):
                    say("sample at step \(step):\n\(text)\n---")
                case let .saved(step, directory):
                    say("saved checkpoint at step \(step) to \(directory.path)")
                }
            }
        } catch let interrupted as TrainingInterrupted {
            say("interrupted: checkpoint saved in \(output.path) at step \(interrupted.step). "
                + "Continue with the same command plus --resume.")
            throw ExitCode(130)
        }
        if summary.steps < options.steps {
            say("stopped at step \(summary.steps) of \(options.steps) (time limit); continue with the same command plus --resume")
        }
        print(String(format: "val loss %.4f, train loss %.4f after %d steps (%.0f tokens/s, %.0f s); checkpoint ",
                     summary.validationLoss, summary.trainLoss, summary.steps, summary.tokensPerSecond, summary.seconds)
              + output.path)
        if command.common.json {
            fflush(stdout); Output.json(["val_loss": summary.validationLoss, "train_loss": summary.trainLoss, "steps": summary.steps,
                         "tokens_per_s": summary.tokensPerSecond, "seconds": summary.seconds,
                         "checkpoint": output.path, "metrics": output.appendingPathComponent("metrics.jsonl").path,
                         "plot": output.appendingPathComponent("loss.svg").path, "peak_rss_mb": peakResidentMegabytes()])
        }
    }
}

/// The process's peak resident memory (VmHWM in /proc/self/status), in MiB; 0 where unknown.
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else { return 0 }
    return kilobytes / 1024
}
