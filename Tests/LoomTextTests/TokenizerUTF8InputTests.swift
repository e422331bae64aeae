import Foundation
import XCTest
@testable import LoomText

final class TokenizerUTF8InputTests: XCTestCase {
    func testValidTextHasNoInvalidOffset() {
        XCTAssertNil(UTF8Validation.firstInvalidOffset(in: Array("plain ASCII long enough to use the word loop".utf8)))
        XCTAssertNil(UTF8Validation.firstInvalidOffset(in: Array("Grüße 敏捷 😀 \u{10FFFF}".utf8)))
        XCTAssertNil(UTF8Validation.firstInvalidOffset(in: []))
    }

    func testFirstInvalidOffsets() {
        let prefix = Array("abcdefghij".utf8)
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: prefix + [0xFF]), 10)          // never valid
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: prefix + [0xC3]), 10)          // truncated
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: prefix + [0xC0, 0xAF]), 10)    // overlong
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: prefix + [0xED, 0xA0, 0x80]), 10)  // surrogate
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: prefix + [0xF4, 0x90, 0x80, 0x80]), 10)  // past U+10FFFF
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: [0xC3, 0xA9, 0x80]), 2)        // stray continuation
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: [0xE2, 0x82, 0x41]), 0)        // bad continuation
    }

    func testStrictDecodingReportsOffsetAndLine() {
        let bytes = Array("line one\nline two\nbad \u{E9}".utf8).dropLast(1) + [0x41]
        XCTAssertThrowsError(try UTF8Validation.decode(Array(bytes), source: "corpus.txt")) { error in
            XCTAssertEqual(error as? InvalidUTF8Error, InvalidUTF8Error(source: "corpus.txt", byteOffset: 22, line: 3))
            XCTAssertTrue("\(error)".hasPrefix("invalid UTF-8 in corpus.txt at byte offset 22 (line 3)"))
        }
    }

    func testLossyDecodingReplacesInvalidSequences() throws {
        let text = try UTF8Validation.decode([0x61, 0xFF, 0x62, 0xE2, 0x82, 0x63], source: "x", lossy: true)
        XCTAssertEqual(Array(text.unicodeScalars), ["a", "\u{FFFD}", "b", "\u{FFFD}", "c"])
    }

    func testReadingFiles() throws {
        let path = NSTemporaryDirectory() + "loom-utf8-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data([0x68, 0x69, 0x0A, 0xC3, 0x28]).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TextFile.read(path)) { error in
            XCTAssertEqual((error as? InvalidUTF8Error)?.byteOffset, 3)
            XCTAssertEqual((error as? InvalidUTF8Error)?.line, 2)
        }
        XCTAssertEqual(try TextFile.read(path, lossy: true), "hi\n\u{FFFD}(")
        XCTAssertThrowsError(try TextFile.read(path + ".missing")) { error in
            XCTAssertTrue("\(error)".contains("no such file"))
        }
    }
}
