import XCTest
@testable import LoomText

final class SegmentationTests: XCTestCase {
    func testWordsNumbersAndPunctuation() throws {
        let text = "Hello, world! It's 3.14 o'clock."
        let segments = try WordSegmenter().segments(text)
        XCTAssertEqual(segments.map(\.text), ["Hello", ",", "world", "!", "It's", "3.14", "o'clock", "."])
        XCTAssertEqual(segments.map(\.kind), [.word, .punctuation, .word, .punctuation, .word, .number, .word, .punctuation])
        XCTAssertEqual(segments[2].utf16Range, 7..<12)
    }

    func testOptionsDropKinds() throws {
        let text = "Pay 1,000 dollars; now."
        XCTAssertEqual(try WordSegmenter(keepPunctuation: false).words(text), ["Pay", "1,000", "dollars", "now"])
        XCTAssertEqual(try WordSegmenter(keepNumbers: false, keepPunctuation: false).words(text), ["Pay", "dollars", "now"])
        XCTAssertEqual(try WordSegmenter(keepWhitespace: true).words(text).joined(), text)
    }

    func testScriptsWithoutSpacesAndEmoji() throws {
        XCTAssertEqual(try WordSegmenter().words("สวัสดีครับ"), ["สวัสดี", "ครับ"])
        let japanese = try WordSegmenter().segments("東京に行く")
        XCTAssertEqual(japanese.map(\.text).joined(), "東京に行く")
        XCTAssertTrue(japanese.allSatisfy { $0.kind == .word })
        XCTAssertEqual(try WordSegmenter().segments("I ❤️ Zürich").map(\.text), ["I", "❤️", "Zürich"])
        XCTAssertEqual(try WordSegmenter().segments("I ❤️ Zürich").map(\.kind), [.word, .punctuation, .word])
        XCTAssertEqual(try WordSegmenter().words(""), [])
    }

    func testSentences() throws {
        // UAX #29 does not treat the ellipsis character as a sentence terminator.
        let text = "The ark rested. Then the dove went out! Did it return? It did not…  The end"
        XCTAssertEqual(try SentenceSplitter().sentences(text),
                       ["The ark rested.", "Then the dove went out!", "Did it return?", "It did not…  The end"])
        // A full stop followed by a lower-case word does not end a sentence.
        XCTAssertEqual(try SentenceSplitter().sentences("He paid 3 p.m. sharp. etc. ok"), ["He paid 3 p.m. sharp. etc. ok"])
        let untrimmed = try SentenceSplitter(trimWhitespace: false).sentences(text)
        XCTAssertEqual(untrimmed.joined(), text)
        XCTAssertEqual(try SentenceSplitter().sentences("他来了。她走了。"), ["他来了。", "她走了。"])
    }
}
