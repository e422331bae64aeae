import Foundation
import XCTest
@testable import LoomText

final class TokenizerCharWordTests: XCTestCase {
    private func temporaryPath() -> String { NSTemporaryDirectory() + "loom-tok-\(UUID().uuidString).json" }

    func testCharTokenizerVocabularyAndRoundTrip() throws {
        let tokenizer = try CharTokenizer.train("hello wörld 👋<|endoftext|>", specialTokens: ["<|endoftext|>"])
        // <unk>, the special token, then scalars in code point order.
        XCTAssertEqual(tokenizer.vocabulary, ["<unk>", "<|endoftext|>", " ", "d", "e", "h", "l", "o", "r", "w", "ö", "👋"])
        XCTAssertEqual(tokenizer.encode("hello<|endoftext|>"), [5, 4, 6, 6, 7, 1])
        XCTAssertEqual(try tokenizer.decode(tokenizer.encode("world 👋")), "world 👋")
        // Unknown scalars map to id 0 and decode to U+FFFD.
        XCTAssertEqual(tokenizer.encode("hex"), [5, 4, 0])
        XCTAssertEqual(try tokenizer.decode([5, 4, 0]), "he\u{FFFD}")
        XCTAssertThrowsError(try tokenizer.decode([12]))
    }

    func testCharTokenizerKeepsMostFrequentWithinSize() throws {
        let tokenizer = try CharTokenizer.train("aaaa bbb cc d", maxVocabSize: 4)
        XCTAssertEqual(tokenizer.vocabulary, ["<unk>", " ", "a", "b"])
        let counted = try CharTokenizer.train("aaaa bbb cc d", minCount: 3)
        XCTAssertEqual(counted.vocabulary, ["<unk>", " ", "a", "b"])
    }

    func testCharTokenizerSavesAndLoads() throws {
        let tokenizer = try CharTokenizer.train("tab\there \"quoted\" \\ back\u{0}", specialTokens: ["<s>"])
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tokenizer.save(to: path)
        let loaded = try XCTUnwrap(try TokenizerFile.load(path) as? CharTokenizer)
        XCTAssertEqual(loaded.vocabulary, tokenizer.vocabulary)
        XCTAssertEqual(loaded.specialTokens, ["<s>"])
        XCTAssertEqual(loaded.encode("there<s>"), tokenizer.encode("there<s>"))
    }

    func testWordTokenizerCountsAndCuts() throws {
        let text = "the cat sat on the mat. The cat ran! 3 cats, 3 mats."
        let tokenizer = try WordTokenizer.train(text)
        XCTAssertEqual(Array(tokenizer.vocabulary.prefix(6)), ["<unk>", ".", "3", "cat", "the", "!"])
        let ids = try tokenizer.encode("the cat sat on a mat.")
        XCTAssertEqual(ids.map { tokenizer.vocabulary[$0] }, ["the", "cat", "sat", "on", "<unk>", "mat", "."])
        XCTAssertEqual(try tokenizer.decode(ids), "the cat sat on <unk> mat.")

        let small = try WordTokenizer.train(text, maxVocabSize: 4)
        XCTAssertEqual(small.vocabulary, ["<unk>", ".", "3", "cat"])
        let frequent = try WordTokenizer.train(text, minCount: 2)
        XCTAssertEqual(frequent.vocabulary, ["<unk>", ".", "3", "cat", "the"])
    }

    func testWordTokenizerOptions() throws {
        let text = "Straße STRASSE strasse, 42 (yes)"
        let folded = try WordTokenizer.train(text, lowercase: true)
        XCTAssertEqual(folded.vocabulary[1], "strasse")
        XCTAssertEqual(try folded.encode("STRASSE"), [1])
        let wordsOnly = try WordTokenizer.train(text, segmenter: WordSegmenter(keepNumbers: false, keepPunctuation: false))
        XCTAssertEqual(Set(wordsOnly.vocabulary), ["<unk>", "Straße", "STRASSE", "strasse", "yes"])
        XCTAssertEqual(try folded.decode(folded.encode("(yes) 42, strasse")), "(yes) 42, strasse")
    }

    func testWordTokenizerSavesAndLoads() throws {
        let tokenizer = try WordTokenizer.train("Zürich ist schön. Zürich!", specialTokens: ["<|endoftext|>"], lowercase: true,
                                                segmenter: WordSegmenter(keepPunctuation: false))
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tokenizer.save(to: path)
        let loaded = try XCTUnwrap(try TokenizerFile.load(path) as? WordTokenizer)
        XCTAssertEqual(loaded.vocabulary, tokenizer.vocabulary)
        XCTAssertTrue(loaded.lowercase)
        XCTAssertFalse(loaded.segmenter.keepPunctuation)
        XCTAssertEqual(try loaded.encode("ZÜRICH<|endoftext|>ist!"), try tokenizer.encode("ZÜRICH<|endoftext|>ist!"))
    }

    func testMalformedOwnFilesThrow() throws {
        let cases: [(String, String)] = [
            ("{\"type\": \"loom-char\", \"version\": 2}", "version 2"),
            ("{\"type\": \"loom-char\", \"version\": 1, \"unknown_token\": \"<unk>\", \"special_tokens\": [], \"vocab\": [\"a\"]}",
             "vocab[0] must be the unknown token"),
            ("{\"type\": \"loom-char\", \"version\": 1, \"unknown_token\": \"<unk>\", \"special_tokens\": [], \"vocab\": [\"<unk>\", \"ab\"]}",
             "is not one scalar"),
            ("{\"type\": \"loom-word\", \"version\": 1, \"unknown_token\": \"<unk>\", \"special_tokens\": [\"<s>\"], \"vocab\": [\"<unk>\"]}",
             "special token \"<s>\" is not in vocab"),
            ("{\"type\": \"loom-word\", \"version\": 1, \"unknown_token\": \"<unk>\", \"special_tokens\": [], \"vocab\": [\"<unk>\", 5]}",
             "vocab[1]: expected a string"),
            ("{\"type\": \"loom-word\", \"version\": 1, \"unknown_token\": \"<unk>\", \"special_tokens\": [], \"vocab\": [\"<unk>\", \"x\", \"x\"]}",
             "appears twice"),
            ("{\"type\": \"mystery\"}", "tokenizer type 'mystery'"),
        ]
        for (index, (contents, expected)) in cases.enumerated() {
            let path = temporaryPath()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TokenizerFile.load(path), "case \(index)") { error in
                XCTAssertTrue("\(error)".contains(expected), "case \(index): \(error)")
            }
        }
    }

    func testEmptyCorpusIsAnError() {
        XCTAssertThrowsError(try CharTokenizer.train("", source: "empty.txt")) { error in
            XCTAssertEqual("\(error)", "the corpus empty.txt holds no text to train on")
        }
        XCTAssertThrowsError(try WordTokenizer.train("  \n "))
    }
}
