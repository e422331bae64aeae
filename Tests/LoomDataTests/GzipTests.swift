import XCTest
@testable import LoomData

final class GzipTests: XCTestCase {
    func testRoundTripOfRandomAndRepetitiveData() throws {
        var random = TestRandom(state: 7)
        for original in [[], random.bytes(1), random.bytes(300_000), random.bytes(1_000_000, alphabet: 4)] {
            let compressed = gzipCompress(original)
            XCTAssertEqual([UInt8](try Gzip.decompress(Data(compressed), source: "memory")), original)
        }
    }

    func testConcatenatedMembersAreReadAsOneStream() throws {
        let first = Array("first member\n".utf8), second = Array("second member\n".utf8)
        let joined = gzipCompress(first) + gzipCompress(second)
        XCTAssertEqual([UInt8](try Gzip.decompress(Data(joined), source: "memory")), first + second)
    }

    func testZeroPaddingAfterTheLastMemberIsIgnored() throws {
        let text = Array("padded".utf8)
        XCTAssertEqual([UInt8](try Gzip.decompress(Data(gzipCompress(text) + [0, 0, 0, 0]), source: "memory")), text)
    }

    func testReadsAFile() throws {
        let directory = try makeTemporaryDirectory(self)
        let url = directory.appendingPathComponent("text.gz")
        let text = Array(String(repeating: "In the beginning. ", count: 1000).utf8)
        try Data(gzipCompress(text)).write(to: url)
        XCTAssertEqual([UInt8](try Gzip.readFile(url)), text)
    }

    func testErrorsNameTheSourceAndTheProblem() throws {
        var random = TestRandom(state: 3)
        let compressed = gzipCompress(random.bytes(10_000))
        assertDataError(try Gzip.decompress(Data(compressed.prefix(compressed.count / 2)), source: "half.gz"),
                        mentions: ["half.gz", "truncated"])
        assertDataError(try Gzip.decompress(Data("plain text".utf8), source: "plain.txt"),
                        mentions: ["plain.txt", "not gzip", "magic"])
        var corrupt = compressed
        for index in 20..<40 { corrupt[index] ^= 0xFF }
        assertDataError(try Gzip.decompress(Data(corrupt), source: "corrupt.gz"), mentions: ["corrupt.gz", "byte offset"])
        assertDataError(try Gzip.decompress(Data(compressed + Array("junk".utf8)), source: "junk.gz"),
                        mentions: ["junk.gz", "unexpected bytes", "byte offset \(compressed.count)"])
        assertDataError(try Gzip.readFile(URL(fileURLWithPath: "/nonexistent/file.gz")),
                        mentions: ["/nonexistent/file.gz", "not found"])
    }
}
