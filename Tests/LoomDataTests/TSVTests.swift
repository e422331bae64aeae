import XCTest
@testable import LoomData

final class TSVTests: XCTestCase {
    func testParsesRowsSkippingBlankLinesAndCarriageReturns() throws {
        let text = "en\tHello there\r\n\nde\tGuten Tag\nru\tПривет\n"
        let rows = try TSV.parse(Data(text.utf8), source: "mixed.tsv")
        XCTAssertEqual(rows, [
            TSVRow(first: "en", second: "Hello there", line: 1),
            TSVRow(first: "de", second: "Guten Tag", line: 3),
            TSVRow(first: "ru", second: "Привет", line: 4),
        ])
    }

    func testLastLineWithoutNewline() throws {
        let rows = try TSV.parse(Data("a\tb\nc\td".utf8), source: "x")
        XCTAssertEqual(rows.map(\.second), ["b", "d"])
    }

    func testFormatRoundTrips() throws {
        let text = TSV.format([("word", "w er d"), ("cat", "k ae t")])
        XCTAssertEqual(text, "word\tw er d\ncat\tk ae t\n")
        XCTAssertEqual(try TSV.parse(Data(text.utf8), source: "x").map(\.first), ["word", "cat"])
    }

    func testErrorsNameFileLineAndProblem() throws {
        assertDataError(try TSV.parse(Data("a\tb\nno tab here\n".utf8), source: "pairs.tsv"),
                        mentions: ["pairs.tsv:2", "missing tab"])
        assertDataError(try TSV.parse(Data("a\tb\n\tonly text\n".utf8), source: "pairs.tsv"),
                        mentions: ["pairs.tsv:2", "empty first field"])
        assertDataError(try TSV.parse(Data("label\t\n".utf8), source: "pairs.tsv"),
                        mentions: ["pairs.tsv:1", "empty second field"])
        assertDataError(try TSV.parse(Data("a\tb\tc\n".utf8), source: "pairs.tsv"),
                        mentions: ["pairs.tsv:1", "2 tabs"])
        // Line 2 starts at byte 4; the bad byte 0xFF sits 3 bytes into it.
        let invalid: [UInt8] = Array("a\tb\nen\t".utf8) + [0xFF] + Array("x\n".utf8)
        assertDataError(try TSV.parse(Data(invalid), source: "bad.tsv"),
                        mentions: ["bad.tsv:2", "invalid UTF-8", "byte offset 7"])
        assertDataError(try TSV.read(URL(fileURLWithPath: "/nonexistent/pairs.tsv")),
                        mentions: ["/nonexistent/pairs.tsv", "not found"])
    }

    func testUTF8ValidatorFindsIllFormedSequences() {
        XCTAssertNil(firstInvalidUTF8Offset(Array("héllo wörld ✓ 𝄞".utf8)))
        XCTAssertEqual(firstInvalidUTF8Offset([0x41, 0xC0, 0x80] as [UInt8]), 1) // overlong
        XCTAssertEqual(firstInvalidUTF8Offset([0xED, 0xA0, 0x80] as [UInt8]), 0) // surrogate
        XCTAssertEqual(firstInvalidUTF8Offset([0x41, 0x42, 0xE2, 0x82] as [UInt8]), 2) // cut short
        XCTAssertEqual(firstInvalidUTF8Offset([0xF4, 0x90, 0x80, 0x80] as [UInt8]), 0) // above U+10FFFF
    }
}
