import Foundation
import XCTest

/// Small inputs and process helpers for the tests that train through the binary.
enum TrainingFixtures {
    /// A few kilobytes of English-like text for char-level pretraining.
    static func writeCorpus(in directory: URL) throws -> URL {
        let words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "and", "runs", "home",
                     "in", "light", "of", "day", "while", "birds", "sing"]
        var generator = SplitMix(seed: 42)
        var text = ""
        for _ in 0..<300 {
            let count = 4 + Int(generator.next() % 6)
            text += (0..<count).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: " ") + ".\n"
        }
        let url = directory.appendingPathComponent("corpus.txt")
        try Data(text.utf8).write(to: url)
        return url
    }

    /// `source<TAB>target` pairs for seq2seq: a word and the word reversed.
    static func writePairs(in directory: URL, name: String = "pairs.tsv", count: Int = 120) throws -> URL {
        var generator = SplitMix(seed: 7)
        let letters = Array("abcdefghij")
        var lines = ""
        for _ in 0..<count {
            let word = String((0..<(2 + Int(generator.next() % 4))).map { _ in letters[Int(generator.next() % 10)] })
            lines += "\(word)\t\(String(word.reversed()))\n"
        }
        let url = directory.appendingPathComponent(name)
        try Data(lines.utf8).write(to: url)
        return url
    }

    /// Lines in a file (0 while it does not exist).
    static func lineCount(_ url: URL) -> Int {
        guard let data = FileManager.default.contents(atPath: url.path) else { return 0 }
        return data.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    }

    /// Waits until `url` has at least `lines` lines or the process ends; false if it ended first.
    @discardableResult
    static func waitForLines(_ url: URL, atLeast lines: Int, while process: Process, limit: TimeInterval = 120) -> Bool {
        let end = Date().addingTimeInterval(limit)
        while process.isRunning, Date() < end {
            if lineCount(url) >= lines { return true }
            usleep(2_000)
        }
        return false
    }

    /// The step recorded in a checkpoint's trainer.json and in its optimizer.safetensors.
    static func savedSteps(in directory: URL) throws -> (trainer: Int, optimizer: Int) {
        let trainerData = try Data(contentsOf: directory.appendingPathComponent("trainer.json"))
        let trainer = try XCTUnwrap((try JSONSerialization.jsonObject(with: trainerData) as? [String: Any])?["step"] as? Int)
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent("optimizer.safetensors")))
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        let metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        let scalars = try XCTUnwrap(metadata["loom_optimizer"])
        let optimizer = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(scalars.utf8)) as? [String: Any])?["step"] as? Int)
        return (trainer, optimizer)
    }
}

/// A tiny seeded generator, so the fixtures are the same on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
