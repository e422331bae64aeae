import XCTest
@testable import LoomModels

final class Seq2SeqMetricsTests: XCTestCase {
    func testEditDistance() {
        XCTAssertEqual(editDistance(Array("kitten"), Array("sitting")), 3)
        XCTAssertEqual(editDistance([String](), ["a", "b"]), 2)
        XCTAssertEqual(editDistance(["a", "b"], ["a", "b"]), 0)
        XCTAssertEqual(editDistance(Array("flaw"), Array("lawn")), 2)
    }

    func testErrorRates() {
        var rates = ErrorRates()
        rates.add(hypothesis: ["k", "ae", "t"], reference: ["k", "ae", "t"])
        rates.add(hypothesis: ["d", "aa"], reference: ["d", "ao", "g"])
        XCTAssertEqual(rates.tokenErrorRate, 2.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(rates.sequenceErrorRate, 0.5)
    }

    func testCorpusBLEU() {
        var perfect = CorpusBLEU()
        perfect.add(hypothesis: ["the", "cat", "sat", "on", "the", "mat"], reference: ["the", "cat", "sat", "on", "the", "mat"])
        XCTAssertEqual(perfect.score, 100, accuracy: 1e-9)

        // Precisions 4/5, 3/4, 2/3, 1/2; equal lengths.
        var partial = CorpusBLEU()
        partial.add(hypothesis: ["a", "b", "c", "d", "e"], reference: ["a", "b", "c", "d", "f"])
        XCTAssertEqual(partial.score, 100 * Foundation.pow(0.8 * 0.75 * (2.0 / 3.0) * 0.5, 0.25), accuracy: 1e-9)

        // All precisions 1, candidate 4 tokens against 5: brevity penalty exp(1 - 5/4).
        var short = CorpusBLEU()
        short.add(hypothesis: ["a", "b", "c", "d"], reference: ["a", "b", "c", "d", "e"])
        XCTAssertEqual(short.score, 100 * Foundation.exp(-0.25), accuracy: 1e-9)

        // Counts are pooled over the corpus before the precisions are taken; clipping limits repeats.
        var corpus = CorpusBLEU()
        corpus.add(hypothesis: ["the", "the", "the"], reference: ["the", "cat"])
        corpus.add(hypothesis: ["a", "b", "c", "d"], reference: ["a", "b", "c", "d"])
        XCTAssertEqual(corpus.matches, [5, 3, 2, 1])
        XCTAssertEqual(corpus.totals, [7, 5, 3, 1])
        XCTAssertEqual(CorpusBLEU().score, 0)
    }

    func testBLEUTokenizerSplitsPunctuation() {
        XCTAssertEqual(CorpusBLEU.tokenize("Hello, world! It costs 3.50 (each)."),
                       ["Hello", ",", "world", "!", "It", "costs", "3.50", "(", "each", ")", "."])
    }
}
