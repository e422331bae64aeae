import Foundation
import XCTest
@testable import LoomText

final class Word2VecTests: XCTestCase {
    /// Two topics whose words never share a sentence.
    private func toyCorpus() -> [Substring] {
        let topics = [["cat", "dog", "pet", "fur", "paw", "bark"], ["car", "road", "wheel", "engine", "fuel", "drive"]]
        var generator = TextModelGenerator(seed: 9)
        return (0..<600).map { i in
            let words = topics[i % 2]
            return Substring((0..<8).map { _ in words[generator.nextIndex(below: words.count)] }.joined(separator: " "))
        }
    }

    private func options() -> Word2Vec.Options {
        var options = Word2Vec.Options()
        options.dimension = 16
        options.window = 3
        options.epochs = 5
        options.minimumCount = 1
        options.subsampling = 0
        options.seed = 4
        return options
    }

    func testLossFallsAndTopicsSeparate() throws {
        let (embeddings, report) = try Word2Vec.train(lines: toyCorpus(), options: options())
        XCTAssertEqual(report.epochLosses.count, 5)
        XCTAssertLessThan(report.epochLosses.last!, report.epochLosses.first! * 0.9, "\(report.epochLosses)")
        for (a, b, other) in [("cat", "dog", "car"), ("wheel", "engine", "paw"), ("fur", "bark", "fuel")] {
            XCTAssertGreaterThan(embeddings.cosine(a, b)!, embeddings.cosine(a, other)!, "\(a) \(b) \(other)")
        }
        let nearest = try embeddings.neighbors(of: "road", top: 5).map(\.word)
        XCTAssertEqual(Set(nearest), ["car", "wheel", "engine", "fuel", "drive"])
    }

    func testSameSeedSameVectorsAndSavedFileReadsBack() throws {
        let first = try Word2Vec.train(lines: toyCorpus(), options: options()).embeddings
        let second = try Word2Vec.train(lines: toyCorpus(), options: options()).embeddings
        XCTAssertEqual(first.vectors, second.vectors)
        let directory = NSTemporaryDirectory() + "loom-w2v-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try first.save(to: directory)
        let loaded = try WordEmbeddings.load(from: directory)
        XCTAssertEqual(loaded.words, first.words)
        XCTAssertEqual(loaded.vectors, first.vectors)
        // The file follows the safetensors layout: 8-byte header length, JSON header, raw F32 data.
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/embeddings.safetensors"))
        let headerLength = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any]
        let entry = header?["embeddings"] as? [String: Any]
        XCTAssertEqual(entry?["dtype"] as? String, "F32")
        XCTAssertEqual(entry?["shape"] as? [Int], [12, 16])
        XCTAssertEqual(data.count, 8 + headerLength + 12 * 16 * 4)
    }

    func testNormalizedTokens() {
        XCTAssertEqual(Word2Vec.tokens(of: "And GOD said, (Let there) be: light.", normalize: true),
                       ["and", "god", "said", "let", "there", "be", "light"])
    }
}
