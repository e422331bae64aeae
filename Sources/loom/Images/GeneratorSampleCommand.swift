import ArgumentParser
import Foundation
import Loom

struct GeneratorSampleCommand: ParsableCommand {
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case sample, reconstruct, interpolate
    }

    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write images from a trained generator as one PNG grid.",
        discussion: """
        --mode sample (any generator): COUNT new images.
        --mode reconstruct (vae): COUNT test images from --data, each grid row of originals \
        followed by a row of their reconstructions.
        --mode interpolate (vae): COUNT rows, each decoding --columns codes on the line \
        between the codes of two test images.
        """)

    @Option(help: "Checkpoint directory of a trained generator.")
    var checkpoint: String

    @Option(help: "Images to make (rows, for --mode interpolate).")
    var count = 64

    @Option(help: "PNG file to write.")
    var out: String

    @Option(help: "Sampler steps for generators that have them (diffusion); default: the model's own.")
    var steps: Int?

    @Option(help: "sample, reconstruct or interpolate.")
    var mode: Mode = .sample

    @Option(help: "Directory with the Fashion-MNIST IDX files (reconstruct, interpolate).")
    var data = "corpora/fashion-mnist"

    @Option(help: "Images per grid row (default: near-square; 8 for reconstruct, 10 for interpolate).")
    var columns: Int?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive, got \(count)") }
        if let steps { guard steps > 0 else { throw ValidationError("--steps must be positive, got \(steps)") } }
        if let columns { guard columns > 0 else { throw ValidationError("--columns must be positive, got \(columns)") } }
        if mode == .interpolate, let columns { guard columns >= 2 else { throw ValidationError("--columns must be 2 or more to interpolate") } }
        guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out must name a .png file, got \(out)") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: checkpoint)
        let kindName = try Checkpoint.kind(in: directory)
        let kind = try GeneratorKinds.lookup(kindName, where: "\(checkpoint)/config.json")
        let started = Date()
        let images: Tensor
        var gridColumns = columns
        switch mode {
        case .sample:
            let sampler = try kind.sampler.load(from: directory)
            images = try sampler.sample(count: count, steps: steps, seed: common.seed)
        case .reconstruct, .interpolate:
            guard kindName == VAEConfig.kind else {
                throw ValidationError("--mode \(mode.rawValue) needs a vae checkpoint; \(checkpoint) holds a '\(kindName)'")
            }
            let sampler = try VAESampler.load(from: directory)
            let test = try testImages(matching: sampler.model.config)
            var rng = RandomGenerator(seed: common.seed)
            if mode == .reconstruct {
                let per = columns ?? 8
                let chosen = (0..<count).map { _ in rng.nextInt(below: test.count) }
                let originals = test.batch(chosen[...]).images
                let rebuilt = sampler.reconstruct(originals)
                images = interleaveRows(originals, rebuilt, perRow: per)
                gridColumns = per
            } else {
                let per = columns ?? 10
                let starts = test.batch((0..<count).map { _ in rng.nextInt(below: test.count) }[...]).images
                let ends = test.batch((0..<count).map { _ in rng.nextInt(below: test.count) }[...]).images
                images = sampler.interpolate(from: starts, to: ends, columns: per)
                gridColumns = per
            }
        }
        try writeImageGrid(images, to: out, columns: gridColumns)
        let seconds = Date().timeIntervalSince(started)
        Output.info(String(format: "wrote %d images to %@ (%.1f s)", images.shape[0], out, seconds))
        if common.json {
            Output.json(["model": kindName, "mode": mode.rawValue, "images": images.shape[0], "out": out, "seconds": seconds])
        }
    }

    func testImages(matching config: VAEConfig) throws -> ImageDataset {
        let set = try FashionMNIST.load(directory: URL(fileURLWithPath: data), split: .test)
        guard set.rows == config.height, set.cols == config.width, config.channels == 1 else {
            throw LoomError("\(data): test images are 1×\(set.rows)×\(set.cols), the checkpoint \(checkpoint) makes \(config.channels)×\(config.height)×\(config.width)")
        }
        return ImageDataset(set)
    }

    /// Rows of `perRow` originals each followed by the row of their reconstructions.
    func interleaveRows(_ a: Tensor, _ b: Tensor, perRow: Int) -> Tensor {
        var parts: [Tensor] = []
        var start = 0
        while start < a.shape[0] {
            let end = min(start + perRow, a.shape[0])
            // A short last row is padded with black so originals and copies stay aligned.
            let padding = perRow - (end - start)
            for source in [a, b] {
                parts.append(source.slice(axis: 0, start..<end))
                if padding > 0 { parts.append(Tensor(shape: [padding] + Array(a.shape.dropFirst()), repeating: -1)) }
            }
            start = end
        }
        return Tensor.concat(parts, axis: 0)
    }
}
