import Foundation
import XCTest
@testable import LoomText

/// Checks Loom's byte-level BPE against a tokenizer made by Hugging Face `tokenizers`
/// (tools/fixtures/make_tokenizer_fixture.py).
final class TokenizerHuggingFaceTests: XCTestCase {
    private struct Case: Decodable {
        var text: String
        var ids: [Int]
        var decoded: String
    }

    private struct Fixture: Decodable {
        var vocab_size: Int
        var special_tokens: [String]
        var corpus: String
        var merges: [String]
        var cases: [Case]
    }

    private func fixturePath(_ name: String) throws -> String {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return url.path
    }

    private func loadFixture() throws -> Fixture {
        let data = try Data(contentsOf: URL(fileURLWithPath: try fixturePath("tokenizer_hf_bpe_cases")))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    private func mergeStrings(_ tokenizer: BPETokenizer) -> [String] {
        tokenizer.merges.map { tokenizer.token(forID: Int($0.first))! + " " + tokenizer.token(forID: Int($0.second))! }
    }

    func testHuggingFaceFileGivesSameIDs() throws {
        let fixture = try loadFixture()
        let tokenizer = try BPETokenizer.load(from: try fixturePath("tokenizer_hf_bpe"))
        XCTAssertEqual(tokenizer.vocabSize, fixture.vocab_size)
        for item in fixture.cases {
            XCTAssertEqual(tokenizer.encode(item.text), item.ids, "text: \(item.text.debugDescription)")
            XCTAssertEqual(try tokenizer.decode(item.ids), item.decoded)
        }
    }

    func testTrainingReproducesHuggingFaceMerges() throws {
        let fixture = try loadFixture()
        for threads in [1, 2] {
            let trainer = BPETrainer(vocabSize: fixture.vocab_size, specialTokens: fixture.special_tokens, threads: threads)
            let tokenizer = try trainer.train(fixture.corpus)
            XCTAssertEqual(tokenizer.vocabSize, fixture.vocab_size)
            XCTAssertEqual(mergeStrings(tokenizer), fixture.merges)
            for item in fixture.cases {
                XCTAssertEqual(tokenizer.encode(item.text), item.ids, "text: \(item.text.debugDescription)")
            }
        }
    }

    func testSavedFileLoadsBackWithSameIDs() throws {
        let fixture = try loadFixture()
        let trained = try BPETrainer(vocabSize: fixture.vocab_size, specialTokens: fixture.special_tokens).train(fixture.corpus)
        let path = NSTemporaryDirectory() + "loom-bpe-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try trained.save(to: path)
        let loaded = try XCTUnwrap(try TokenizerFile.load(path) as? BPETokenizer)
        XCTAssertEqual(mergeStrings(loaded), fixture.merges)
        XCTAssertEqual(loaded.addedTokens, trained.addedTokens)
        for item in fixture.cases { XCTAssertEqual(loaded.encode(item.text), item.ids) }
        // The saved file holds the same vocabulary as the one Hugging Face wrote.
        let ours = try JSONFields.parseFile(path).fields("model").fields("vocab").object as NSDictionary
        let theirs = try JSONFields.parseFile(try fixturePath("tokenizer_hf_bpe")).fields("model").fields("vocab").object
        XCTAssertEqual(ours, theirs as NSDictionary)
    }

    func testGPT2VocabularyAndMergesFiles() throws {
        let directory = NSTemporaryDirectory() + "loom-gpt2-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixture = try loadFixture()
        let reference = try BPETokenizer.load(from: try fixturePath("tokenizer_hf_bpe"))
        var entries: [String] = []
        for id in 0..<reference.vocabSize {
            entries.append("\(JSONText.quoted(reference.token(forID: id)!)): \(id)")
        }
        try ("{" + entries.joined(separator: ", ") + "}").write(toFile: directory + "/vocab.json", atomically: true, encoding: .utf8)
        try ("#version: 0.2\n" + fixture.merges.joined(separator: "\n") + "\n")
            .write(toFile: directory + "/merges.txt", atomically: true, encoding: .utf8)
        let tokenizer = try XCTUnwrap(try TokenizerFile.load(directory) as? BPETokenizer)
        XCTAssertEqual(tokenizer.encode("In the beginning God created"), reference.encode("In the beginning God created"))
        XCTAssertEqual(tokenizer.encode("<|endoftext|>"), [0])
    }

    func testMalformedFilesThrowClearErrors() throws {
        let directory = NSTemporaryDirectory() + "loom-bad-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let valid = try String(contentsOfFile: try fixturePath("tokenizer_hf_bpe"), encoding: .utf8)
        let broken: [(String, String)] = [
            ("{\"model\": ", "not valid JSON"),
            ("[1, 2]", "top level must be a JSON object"),
            ("{\"version\": \"1.0\"}", "type"),
            (valid.replacingOccurrences(of: "\"type\": \"BPE\"", with: "\"type\": \"WordPiece\""), "model type 'WordPiece'"),
            (valid.replacingOccurrences(of: "\"merges\": [", with: "\"merges\": [\"Ġ zzz\", "), "\"zzz\" is not in the vocabulary"),
            (valid.replacingOccurrences(of: "\"merges\": [", with: "\"merges\": [\"Ġt\", "), "expected two tokens"),
            (valid.replacingOccurrences(of: "\"merges\": [", with: "\"merges\": [[\"a\"], "), "merges[0]: expected"),
            (valid.replacingOccurrences(of: "\"vocab\": {", with: "\"vocab\": {\"bad\": \"x\", "), "model.vocab.bad: expected an integer id"),
            (valid.replacingOccurrences(of: "\"id\": 1,", with: "\"id\": \"one\","), "added_tokens[1].id: expected an integer"),
            (valid.replacingOccurrences(of: "\"normalizer\": null", with: "\"normalizer\": {\"type\": \"NFC\"}"), "normalizer 'NFC'"),
        ]
        for (index, (contents, expected)) in broken.enumerated() {
            let path = "\(directory)/bad\(index).json"
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TokenizerFile.load(path), "case \(index)") { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(expected), "case \(index): \(message)")
                XCTAssertTrue(message.contains(path), "case \(index): \(message)")
            }
        }
        XCTAssertThrowsError(try TokenizerFile.load(directory + "/missing.json")) { error in
            XCTAssertTrue("\(error)".contains("no such file"))
        }
    }
}
