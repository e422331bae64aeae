import ArgumentParser
import Foundation
import Loom

extension GANLoss: ExpressibleByArgument {}

struct GeneratorTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an image generator (vae, gan or diffusion) on Fashion-MNIST-style images.",
        discussion: """
        Saves a checkpoint to --out every --save-every steps, at the end, and on Ctrl-C \
        (then exits 130); run the same command with --resume to continue to --steps. \
        Model flags: --beta, --kl-warmup (vae); --loss, --label-smoothing, --gp-weight, \
        --critic-steps (gan); --latent (vae, gan); --channels (diffusion). \
        With --loss wgan-gp a step is --critic-steps critic updates and one generator update, \
        and Adam runs with betas (0, 0.9).
        """)

    @Option(help: "Generator: \(GeneratorKinds.names.joined(separator: ", ")).")
    var model: String

    @Option(help: "Directory with the Fashion-MNIST IDX files.")
    var data = "corpora/fashion-mnist"

    @Option(help: "Checkpoint directory to write.")
    var out: String

    @Option(help: "Training steps (one batch each).")
    var steps = 5000

    @Option(name: .customLong("batch-size"), help: "Images per step.")
    var batchSize = 64

    @Option(help: "Learning rate of Adam (default: 1e-3 for vae, 2e-4 for gan, 1e-4 for gan --loss wgan-gp, 8e-4 for diffusion).")
    var lr: Float?

    @Option(name: .customLong("save-every"), help: "Steps between checkpoints.")
    var saveEvery = 500

    @Option(help: "Use only the first N training images: for quick trials.")
    var limit: Int?

    @Flag(help: "Mirror training images left-right at random.")
    var flips = false

    @Option(help: "vae: weight of the KL term after warm-up.")
    var beta: Float?

    @Option(name: .customLong("kl-warmup"), help: "vae: steps over which the KL weight rises from 0 to beta.")
    var klWarmup: Int?

    @Option(help: "gan: the adversarial loss (default non-saturating).")
    var loss: GANLoss?

    @Option(name: .customLong("label-smoothing"), help: "gan, non-saturating: one-sided label smoothing (real target 1 - this).")
    var labelSmoothing: Float?

    @Option(name: .customLong("gp-weight"), help: "gan, wgan-gp: weight of the gradient penalty (default 10).")
    var gpWeight: Float?

    @Option(name: .customLong("critic-steps"), help: "gan, wgan-gp: critic updates per generator update (default 5).")
    var criticSteps: Int?

    @Option(help: "vae, gan: size of the latent code.")
    var latent: Int?

    @Option(help: "diffusion: channels of the U-Net at full resolution, a multiple of 8 (default 32; 16 or 24 train faster).")
    var channels: Int?

    @Flag(help: "Continue the run saved in --out.")
    var resume = false

    @Flag(help: "Overwrite a checkpoint already in --out.")
    var force = false

    @OptionGroup var anomaly: AnomalyOptions
    @OptionGroup var common: CommonOptions

    var settings: [String: Float] {
        var result: [String: Float] = [:]
        if let beta { result["beta"] = beta }
        if let klWarmup { result["kl_warmup"] = Float(klWarmup) }
        if let labelSmoothing { result["label_smoothing"] = labelSmoothing }
        if let latent { result["latent"] = Float(latent) }
        if let gpWeight { result["gp_weight"] = gpWeight }
        if let criticSteps { result["critic_steps"] = Float(criticSteps) }
        if let channels { result["channels"] = Float(channels) }
        return result
    }

    func validate() throws {
        let kind = try GeneratorKinds.lookup(model, where: "--model")
        guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        guard saveEvery > 0 else { throw ValidationError("--save-every must be positive, got \(saveEvery)") }
        if let lr { guard lr > 0, lr.isFinite else { throw ValidationError("--lr must be positive, got \(lr)") } }
        if let limit { guard limit > 0 else { throw ValidationError("--limit must be positive, got \(limit)") } }
        if let beta { guard beta >= 0, beta.isFinite else { throw ValidationError("--beta must be zero or more, got \(beta)") } }
        if let klWarmup { guard klWarmup >= 0 else { throw ValidationError("--kl-warmup must be zero or more, got \(klWarmup)") } }
        if let labelSmoothing {
            guard labelSmoothing >= 0, labelSmoothing < 1 else { throw ValidationError("--label-smoothing must lie in [0, 1), got \(labelSmoothing)") }
        }
        if let latent { guard latent > 0 else { throw ValidationError("--latent must be positive, got \(latent)") } }
        if let channels {
            guard channels > 0, channels % 8 == 0 else { throw ValidationError("--channels must be a positive multiple of 8, got \(channels)") }
        }
        if let gpWeight {
            guard gpWeight >= 0, gpWeight.isFinite else { throw ValidationError("--gp-weight must be zero or more, got \(gpWeight)") }
        }
        if let criticSteps { guard criticSteps > 0 else { throw ValidationError("--critic-steps must be positive, got \(criticSteps)") } }
        let flags = ["beta": "--beta", "kl_warmup": "--kl-warmup", "label_smoothing": "--label-smoothing", "latent": "--latent",
                     "channels": "--channels", "gp_weight": "--gp-weight", "critic_steps": "--critic-steps"]
        if let unused = settings.keys.sorted().first(where: { !kind.settingNames.contains($0) }) {
            throw ValidationError("\(flags[unused]!) does not apply to --model \(model)")
        }
        if loss != nil && !kind.choiceNames.contains("loss") {
            throw ValidationError("--loss does not apply to --model \(model)")
        }
        // Each loss has its own flags; a flag of the other would be silently ignored.
        let wasserstein = loss == .wassersteinGradientPenalty
        if labelSmoothing != nil && wasserstein { throw ValidationError("--label-smoothing does not apply to --loss wgan-gp") }
        if !wasserstein, let flag = [(gpWeight != nil, "--gp-weight"), (criticSteps != nil, "--critic-steps")].first(where: \.0)?.1 {
            throw ValidationError("\(flag) applies only to --loss wgan-gp")
        }
        guard !(resume && force) else { throw ValidationError("--resume and --force exclude each other") }
    }

    func run() throws {
        anomaly.apply()
        let kind = try GeneratorKinds.lookup(model, where: "--model")
        var trainSet = try FashionMNIST.load(directory: URL(fileURLWithPath: data), split: .train)
        guard trainSet.rows % 4 == 0 && trainSet.cols % 4 == 0 else {
            throw LoomError("\(data): images are \(trainSet.rows)×\(trainSet.cols); the \(model) generator needs sides divisible by 4")
        }
        if let limit, limit < trainSet.count {
            let size = trainSet.rows * trainSet.cols
            trainSet = LabeledImages(count: limit, rows: trainSet.rows, cols: trainSet.cols,
                                     pixels: Array(trainSet.pixels.prefix(limit * size)), labels: Array(trainSet.labels.prefix(limit)))
        }
        let output = try prepareOutputDirectory(out, resume: resume, force: force)
        if resume {
            let saved = try Checkpoint.kind(in: output)
            guard saved == model else { throw ValidationError("--resume: \(out) holds a '\(saved)' checkpoint, not '\(model)'") }
        }
        let train = ImageDataset(trainSet)
        var options = ImageGeneratorOptions()
        options.steps = steps
        options.batchSize = batchSize
        options.learningRate = lr ?? (loss == .wassersteinGradientPenalty ? 1e-4 : kind.learningRate)
        options.seed = common.seed
        options.flips = flips
        options.saveEvery = saveEvery
        options.settings = settings
        if let loss { options.choices["loss"] = loss.rawValue }
        Output.info("data: \(train.count) training images of \(train.height)×\(train.width)")

        let trainer = resume ? try kind.training.resume(from: output, train: train, options: options)
                             : kind.training.init(train: train, options: options)
        if resume { Output.info("resumed \(out) at step \(trainer.step)") }
        guard trainer.step < steps else {
            throw ValidationError("--steps \(steps): the checkpoint in \(out) is already at step \(trainer.step); pass a larger --steps")
        }
        let startStep = trainer.step
        Interrupt.install()
        let started = Date()
        let progress = ProgressBar(total: steps, label: "train \(model)")
        var sums: [String: Double] = [:], order: [String] = [], counted = 0
        var last: [String: Float] = [:]
        try trainer.run(saveTo: output, shouldStop: { Interrupt.requested }) { event in
            switch event {
            case let .step(step, total, losses):
                for (name, value) in losses {
                    if !order.contains(name) { order.append(name) }
                    sums[name, default: 0] += Double(value)
                    last[name] = value
                }
                counted += 1
                progress.update(step, suffix: losses.map { String(format: "%@ %.4f", $0.name, $0.value) }.joined(separator: ", "))
                if step % 100 == 0 || step == total {
                    let means = order.map { String(format: "%@ %.4f", $0, sums[$0]! / Double(counted)) }.joined(separator: ", ")
                    Output.info("step \(step): \(means)")
                    sums.removeAll(); counted = 0
                }
            case let .saved(step, directory):
                Output.info("step \(step): saved \(directory.path)")
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let rate = Double(trainer.step - startStep) / max(seconds, 1e-9)
        print(String(format: "trained %@ to step %d in %.0f s (%.2f steps/s); checkpoint %@", model, trainer.step, seconds, rate, out))
        if common.json {
            Output.json(["model": model, "steps": trainer.step, "seconds": seconds, "steps_per_second": rate,
                         "losses": last.mapValues { Double($0) }, "checkpoint": output.path])
        }
    }
}
