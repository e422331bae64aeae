import Foundation
import XCTest

/// `loom images train|sample|score` as a user runs them, on tiny synthetic IDX files.
final class ImageGeneratorCLITests: XCTestCase {
    /// Writes train and t10k IDX files of `count` `side`×`side` images (gradients and bars).
    func writeIDX(to directory: URL, count: Int = 64, side: Int = 12) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func word(_ value: Int) -> [UInt8] { [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        var pixels: [UInt8] = []
        for i in 0..<count {
            for y in 0..<side { for x in 0..<side { pixels.append((x + y + i) % 4 < 2 ? 230 : 20) } }
        }
        let labels = (0..<count).map { UInt8($0 % 10) }
        for prefix in ["train", "t10k"] {
            try Data(word(0x803) + word(count) + word(side) + word(side) + pixels)
                .write(to: directory.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try Data(word(0x801) + word(count) + labels).write(to: directory.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
    }

    func testTrainInterruptResumeAndSample() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("vae")
        try writeIDX(to: data)
        let train = ["images", "train", "--model", "vae", "--data", data.path, "--out", out.path, "--batch-size", "8", "--seed", "2"]

        let first = try CommandRunner.run(train + ["--steps", "1000000"]) { process in
            Thread.sleep(forTimeInterval: 2)
            process.interrupt()
        }
        XCTAssertEqual(first.status, 130, first.stderr)
        XCTAssertTrue(first.stderr.contains("--resume"), first.stderr)
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("trainer.json"))) as? [String: Any]
        let stopped = try XCTUnwrap(state?["step"] as? Int)

        let again = try CommandRunner.run(train + ["--steps", "\(stopped + 5)"])
        XCTAssertEqual(again.status, 64, again.stderr)
        XCTAssertTrue(again.stderr.contains("already holds a checkpoint"), again.stderr)

        let rest = try CommandRunner.run(train + ["--steps", "\(stopped + 5)", "--resume", "--json"])
        XCTAssertEqual(rest.status, 0, rest.stderr)
        let result = try JSONSerialization.jsonObject(with: Data(rest.stdout.split(separator: "\n").last!.utf8)) as? [String: Any]
        XCTAssertEqual(result?["steps"] as? Int, stopped + 5)
        XCTAssertEqual(result?["model"] as? String, "vae")

        let png = root.appendingPathComponent("grid.png")
        for mode in ["sample", "reconstruct", "interpolate"] {
            try? FileManager.default.removeItem(at: png)
            let r = try CommandRunner.run(["images", "sample", "--checkpoint", out.path, "--count", "6", "--out", png.path,
                                           "--mode", mode, "--data", data.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let bytes = try Data(contentsOf: png)
            XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47], mode)
        }

        // The checkpoint makes 12×12 images; Fashion-MNIST's are 28×28.
        if FileManager.default.fileExists(atPath: CommandRunner.fashionMNIST) {
            let r = try CommandRunner.run(["images", "sample", "--checkpoint", out.path, "--count", "4", "--out", png.path,
                                           "--mode", "reconstruct", "--data", CommandRunner.fashionMNIST])
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains("28×28") && r.stderr.contains("12×12"), r.stderr)
        }
    }

    /// `--channels` sets the U-Net's width, and the checkpoint records it.
    func testDiffusionChannelsReachTheCheckpoint() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("ddpm")
        try writeIDX(to: data, count: 16)
        let r = try CommandRunner.run(["images", "train", "--model", "diffusion", "--data", data.path, "--out", out.path,
                                       "--channels", "16", "--steps", "2", "--batch-size", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        XCTAssertEqual(config?["base_channels"] as? Int, 16)
    }

    func testBadInputGetsAClearError() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("model").path
        func expect(_ arguments: [String], status: Int32? = nil, _ fragments: String...) throws {
            let r = try CommandRunner.run(arguments)
            if let status { XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)") } else { XCTAssertNotEqual(r.status, 0, "\(arguments)") }
            XCTAssertTrue(r.stderr.hasPrefix("error: "), "\(arguments): \(r.stderr)")
            for fragment in fragments { XCTAssertTrue(r.stderr.contains(fragment), "\(arguments): expected '\(fragment)' in \(r.stderr)") }
        }
        try expect(["images", "train", "--model", "pixelcnn", "--out", out], "unknown generator 'pixelcnn'")
        // Until the diffusion model is built in, --model diffusion says so; after, --steps 0 is refused.
        let diffusion = try CommandRunner.run(["images", "train", "--model", "diffusion", "--out", out, "--steps", "0"])
        XCTAssertNotEqual(diffusion.status, 0)
        XCTAssertTrue(diffusion.stderr.contains("'diffusion' generator is not part of this build")
                      || diffusion.stderr.contains("--steps must be positive"), diffusion.stderr)
        try expect(["images", "train", "--model", "gan", "--out", out, "--beta", "0.5"], "--beta does not apply to --model gan")
        try expect(["images", "train", "--model", "gan", "--out", out, "--channels", "16"], "--channels does not apply to --model gan")
        try expect(["images", "train", "--model", "diffusion", "--out", out, "--channels", "12"],
                   status: 64, "--channels must be a positive multiple of 8, got 12")
        try expect(["images", "train", "--model", "vae", "--out", out, "--steps", "0"], "--steps must be positive")
        try expect(["images", "train", "--model", "vae", "--out", out, "--data", root.appendingPathComponent("nowhere").path],
                   status: 1, "nowhere", "not found")
        try expect(["images", "sample", "--checkpoint", out, "--count", "0", "--out", "x.png"], "--count must be positive")
        try expect(["images", "sample", "--checkpoint", out, "--count", "4", "--out", "x.png"], status: 1, "config.json")
        try expect(["images", "score", "--judge", out, "--checkpoint", out, "--count", "0"], "--count must be 2 or more")
        try expect(["images", "score", "--judge", out, "--count", "10"], "exactly one of --checkpoint and --reference")

        // Sides not divisible by 4, and a truncated IDX file.
        let odd = root.appendingPathComponent("odd")
        try writeIDX(to: odd, count: 4, side: 30)
        try expect(["images", "train", "--model", "gan", "--data", odd.path, "--out", out], status: 1, "30×30", "divisible by 4")
        let truncated = root.appendingPathComponent("truncated")
        try writeIDX(to: truncated, count: 4, side: 12)
        let images = truncated.appendingPathComponent("train-images-idx3-ubyte")
        let bytes = try Data(contentsOf: images)
        try bytes.prefix(bytes.count - 7).write(to: images)
        try expect(["images", "train", "--model", "vae", "--data", truncated.path, "--out", out], status: 1, "train-images-idx3-ubyte")
    }

    func testGANTrainsAndSamplesThroughTheCLI() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("gan")
        try writeIDX(to: data)
        let r = try CommandRunner.run(["images", "train", "--model", "gan", "--data", data.path, "--out", out.path, "--steps", "3",
                                       "--batch-size", "8", "--label-smoothing", "0.1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        XCTAssertEqual(config?["kind"] as? String, "gan")
        XCTAssertEqual((config?["label_smoothing"] as? Double).map { Float($0) }, 0.1)
        let png = root.appendingPathComponent("gan.png")
        let sample = try CommandRunner.run(["images", "sample", "--checkpoint", out.path, "--count", "9", "--out", png.path, "--seed", "3"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        let first = try Data(contentsOf: png)
        _ = try CommandRunner.run(["images", "sample", "--checkpoint", out.path, "--count", "9", "--out", png.path, "--seed", "3"])
        XCTAssertEqual(try Data(contentsOf: png), first, "equal seeds give equal grids")
        let reconstruct = try CommandRunner.run(["images", "sample", "--checkpoint", out.path, "--count", "4", "--out", png.path,
                                                 "--mode", "reconstruct", "--data", data.path])
        XCTAssertEqual(reconstruct.status, 64)
        XCTAssertTrue(reconstruct.stderr.contains("needs a vae checkpoint"), reconstruct.stderr)
    }

    func testWGANGPTrainsThroughTheCLIAndRefusesFlagsOfTheOtherLoss() throws {
        let root = try CommandRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("wgan")
        try writeIDX(to: data, count: 16)
        let train = ["images", "train", "--model", "gan", "--data", data.path, "--out", out.path, "--batch-size", "4"]
        let r = try CommandRunner.run(train + ["--loss", "wgan-gp", "--steps", "2", "--critic-steps", "2", "--gp-weight", "5", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as? [String: Any]
        XCTAssertEqual(config?["loss"] as? String, "wgan-gp")
        XCTAssertEqual(config?["gp_weight"] as? Double, 5)
        XCTAssertEqual(config?["critic_steps"] as? Int, 2)
        let result = try JSONSerialization.jsonObject(with: Data(r.stdout.split(separator: "\n").last!.utf8)) as? [String: Any]
        let losses = result?["losses"] as? [String: Double]
        XCTAssertEqual(Set(losses?.keys.map { $0 } ?? []), ["d_loss", "g_loss", "w_dist", "gp"])

        let wrong = try CommandRunner.run(train + ["--loss", "non-saturating", "--steps", "3", "--resume"])
        XCTAssertEqual(wrong.status, 1, wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains("\nerror: ") && wrong.stderr.contains("'wgan-gp' loss"), wrong.stderr)
        let resumed = try CommandRunner.run(train + ["--steps", "3", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)

        for (flags, fragment) in [(["--gp-weight", "5"], "--gp-weight applies only to --loss wgan-gp"),
                                  (["--loss", "wgan-gp", "--label-smoothing", "0.1"], "--label-smoothing does not apply to --loss wgan-gp"),
                                  (["--loss", "wgan-gp", "--critic-steps", "0"], "--critic-steps must be positive"),
                                  (["--loss", "hinge"], "hinge")] {
            let bad = try CommandRunner.run(["images", "train", "--model", "gan", "--out", root.appendingPathComponent("x").path] + flags)
            XCTAssertEqual(bad.status, 64, "\(flags): \(bad.stderr)")
            XCTAssertTrue(bad.stderr.hasPrefix("error: ") && bad.stderr.contains(fragment), "\(flags): \(bad.stderr)")
        }
        let vae = try CommandRunner.run(["images", "train", "--model", "vae", "--out", out.path, "--loss", "wgan-gp"])
        XCTAssertEqual(vae.status, 64)
        XCTAssertTrue(vae.stderr.contains("--loss does not apply to --model vae"), vae.stderr)
    }
}
