import ArgumentParser
import Foundation
import Loom

struct GeneratorScoreCommand: ParsableCommand {
    enum Reference: String, ExpressibleByArgument, CaseIterable {
        case train, noise
    }

    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a generator with the judge network: judge-FID, class histogram, confidence.",
        discussion: """
        Embeds the 10,000 test images and COUNT generated images with the judge's penultimate \
        layer and reports the Fréchet distance between the two Gaussians (judge-FID, lower is \
        better), how many samples the judge puts in each class, and its mean confidence. \
        Instead of --checkpoint, --reference train scores COUNT training images (the floor a \
        perfect generator would reach) and --reference noise COUNT images of uniform noise \
        (a ceiling).
        """)

    @Option(help: "Checkpoint directory of the judge (loom images classify-train); its best/ is used when present.")
    var judge: String

    @Option(help: "Checkpoint directory of the generator to score.")
    var checkpoint: String?

    @Option(help: "Score training images (train) or uniform noise (noise) instead of a generator.")
    var reference: Reference?

    @Option(help: "Images to generate and score.")
    var count = 10000

    @Option(help: "Sampler steps for generators that have them (diffusion).")
    var steps: Int?

    @Option(help: "Directory with the Fashion-MNIST IDX files.")
    var data = "corpora/fashion-mnist"

    @Option(name: .customLong("save-grid"), help: "Also write the first 100 scored images as a PNG grid.")
    var saveGrid: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard count >= 2 else { throw ValidationError("--count must be 2 or more (a covariance needs two images), got \(count)") }
        if let steps { guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") } }
        guard (checkpoint == nil) != (reference == nil) else {
            throw ValidationError("give exactly one of --checkpoint and --reference")
        }
        if let saveGrid { guard saveGrid.lowercased().hasSuffix(".png") else { throw ValidationError("--save-grid must name a .png file") } }
    }

    func run() throws {
        let started = Date()
        let judgeModel = try ImageJudge.load(from: URL(fileURLWithPath: judge))
        let testSet = try FashionMNIST.load(directory: URL(fileURLWithPath: data), split: .test)
        let test = ImageDataset(testSet)
        let testImages = test.batch(Array(0..<test.count)[...]).images
        try judgeModel.checkShape(testImages, source: "\(data) test images")
        let testEmbedding = judgeModel.embed(testImages)
        let accuracy = Double(zip(testEmbedding.predictions, test.labels).filter { $0 == Int($1) }.count) / Double(test.count)
        Output.info(String(format: "judge: test accuracy %.4f on %d images", accuracy, test.count))

        let images: Tensor
        let source: String
        if let checkpoint {
            let directory = URL(fileURLWithPath: checkpoint)
            let kindName = try Checkpoint.kind(in: directory)
            let kind = try GeneratorKinds.lookup(kindName, where: "\(checkpoint)/config.json")
            let sampler = try kind.sampler.load(from: directory)
            Output.info("sampling \(count) images from the \(kindName) in \(checkpoint)")
            images = try sampler.sample(count: count, steps: steps, seed: common.seed)
            source = checkpoint
        } else if reference == .train {
            let trainSet = try FashionMNIST.load(directory: URL(fileURLWithPath: data), split: .train)
            guard count <= trainSet.count else {
                throw ValidationError("--count \(count): --reference train has only \(trainSet.count) training images")
            }
            var rng = RandomGenerator(seed: common.seed)
            var order = Array(0..<trainSet.count)
            order.shuffle(using: &rng)
            images = ImageDataset(trainSet).batch(order.prefix(count)).images
            source = "training images"
        } else {
            var rng = RandomGenerator(seed: common.seed)
            let shape = [count] + Array(testImages.shape.dropFirst())
            images = Tensor.randomUniform(shape, low: -1, high: 1, using: &rng)
            source = "uniform noise"
        }
        try judgeModel.checkShape(images, source: source)
        if let saveGrid { try writeImageGrid(images.slice(axis: 0, 0..<min(100, count)), to: saveGrid) }
        let score = judgeModel.score(judgeModel.embed(images), against: testEmbedding.statistics)
        let seconds = Date().timeIntervalSince(started)

        let names = judgeModel.model.config.classNames
        print(String(format: "judge-FID: %.3f (%d images of %@ against %d test images)", score.fid, score.count, source, test.count))
        print(String(format: "mean judge confidence: %.4f", score.meanConfidence))
        for (index, fraction) in score.classFractions.enumerated() {
            let name = index < names.count ? names[index] : "class \(index)"
            let padded = name.count < 12 ? name + String(repeating: " ", count: 12 - name.count) : name
            print("  " + padded + String(format: " %6d  %5.1f%%", score.classHistogram[index], fraction * 100))
        }
        if common.json {
            Output.json(["fid": score.fid, "accuracy_of_judge": accuracy, "count": score.count, "source": source,
                         "class_histogram": score.classHistogram, "class_fractions": score.classFractions,
                         "min_class_fraction": score.classFractions.min() ?? 0, "mean_confidence": score.meanConfidence,
                         "seconds": seconds])
        }
    }
}
